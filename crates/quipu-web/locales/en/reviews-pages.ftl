# The operator's page that moderates the market's reviews.
moderation-heading = Shop reviews
moderation-note = The newest reviews of every shop. Hiding a review hides its words (the comment and the shop's answer) from everyone but the customer who wrote it; its stars still count.
moderation-empty = Nobody has reviewed a shop yet.
moderation-hidden-because = Words hidden because:
moderation-reason = Why hide its words
moderation-hide = Hide its words
done-hidden = The review's words are hidden.
