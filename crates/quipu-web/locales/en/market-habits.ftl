# The market's pages for ratings, favourites, waiting for a product, ordering again, a prescription
# photo, and shops near a shared location.
market-sort-rating = Best rated first
market-sort-distance = Nearest first
market-near-me = Shops near me
market-near-me-failed = Your location could not be read. Choose an area instead.
market-near-you = Showing shops that deliver to where you are.
market-favourites = Your favourite shops
market-favourite-add = Add to my favourites
market-favourite-remove = Remove from my favourites
market-back-in-stock = Back in stock
market-alert-arm = Tell me when it is back
market-alert-armed = We will tell you when it is back.
market-alert-remove = Stop waiting for it
market-alert-dismiss = Clear
market-rating-summary = { $average } of 5 stars from { $count ->
    [one] 1 rating
   *[other] { $count } ratings
}
market-reviews = Ratings
market-stars = { $count ->
    [one] 1 star
   *[other] { $count } stars
}
market-shop-replied = The shop answered:
market-review = Rate this order
market-rating = Your rating
market-comment = A comment (if you like)
market-review-send = Send my rating
market-your-review = Your rating
market-review-hidden = The operator hid the words of this rating; its stars still count.
market-reorder = Order it again
market-reordered-short = Put in your cart again. { $count ->
    [one] One item
   *[other] { $count } items
} of that order could not be: gone, sold out or changed.
market-prescription = Prescription
market-prescription-why = A pharmacist checks some items of this order. A photo of your prescription helps.
market-prescription-attached = Your prescription photo is attached. A new one replaces it.
market-prescription-file = Photo of the prescription (JPEG, PNG or WebP)
market-prescription-note = Only this pharmacy's staff and you see it; it is deleted some time after the order ends.
market-prescription-send = Attach the photo
done-reviewed = Thank you: your rating is sent.
done-reordered = The items are in your cart again, as the shop has them now.
done-prescription = Your prescription photo is attached.
done-favourite = Added to your favourite shops.
done-unfavourite = Removed from your favourite shops.
done-waiting = We will tell you when it is back.
done-not-waiting = You no longer wait for it.
