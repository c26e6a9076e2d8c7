select id, title, author, price, released
from {{ ref('books') }}
where published
