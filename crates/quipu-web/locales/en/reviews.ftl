# Reviews, favourites, ordering again and back-in-stock alerts: problem messages.
error-rating-invalid = A rating is a whole number of stars from 1 to 5.
error-review-comment-invalid = A comment is at most 1,000 characters of plain text.
error-review-exists = You have reviewed this order already. You can change your review instead.
error-order-not-reviewable = Only a completed order can be reviewed.
error-review-not-editable = A review can be changed within a week of writing it, and not once it was hidden.
error-review-changed = This review changed meanwhile. Read it again.
error-review-reply-invalid = A reply is 1 to 1,000 characters of plain text.
error-too-many-favourites = You keep 200 favourite shops already. Remove one first.
error-product-in-stock = This product is in stock now. You can order it.
error-too-many-alerts = You are waiting for 100 products already. Remove an alert first.
error-order-not-reorderable = An order can be placed again once it has ended.
