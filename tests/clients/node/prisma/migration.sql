-- CreateTable
CREATE TABLE "prisma_author" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "score" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prisma_author_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prisma_post" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "done" BOOLEAN NOT NULL DEFAULT false,
    "author_id" INTEGER NOT NULL,

    CONSTRAINT "prisma_post_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "prisma_author_email_key" ON "prisma_author"("email");

-- AddForeignKey
ALTER TABLE "prisma_post" ADD CONSTRAINT "prisma_post_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "prisma_author"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
