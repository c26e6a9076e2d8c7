CREATE TABLE "drizzle_author" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" varchar(100),
	"score" integer DEFAULT 0 NOT NULL,
	"profile" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "drizzle_author_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "drizzle_post" (
	"id" serial PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"author_id" integer NOT NULL,
	"published" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
ALTER TABLE "drizzle_post" ADD CONSTRAINT "drizzle_post_author_id_drizzle_author_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."drizzle_author"("id") ON DELETE cascade ON UPDATE no action;
