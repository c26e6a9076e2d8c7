{{ config(materialized='table') }}

select author,
       count(*) as books,
       sum(price) as total_price,
       min(released) as first_released
from {{ ref('published_books') }}
group by author
