# 리뷰, 즐겨찾는 가게, 다시 주문, 재입고 알림: 문제 메시지.
error-rating-invalid = 별점은 1에서 5 사이의 정수입니다.
error-review-comment-invalid = 리뷰 내용은 일반 텍스트로 1,000자까지입니다.
error-review-exists = 이 주문은 이미 리뷰했습니다. 리뷰를 고칠 수 있습니다.
error-order-not-reviewable = 완료된 주문만 리뷰할 수 있습니다.
error-review-not-editable = 리뷰는 쓴 뒤 일주일 안에, 숨겨지지 않았을 때만 고칠 수 있습니다.
error-review-changed = 그 사이에 리뷰가 바뀌었습니다. 다시 읽어 주세요.
error-review-reply-invalid = 답글은 일반 텍스트로 1자에서 1,000자까지입니다.
error-too-many-favourites = 즐겨찾는 가게가 이미 200곳입니다. 먼저 하나를 빼 주세요.
error-product-in-stock = 이 상품은 지금 재고가 있습니다. 주문할 수 있습니다.
error-too-many-alerts = 이미 100개 상품의 재입고를 기다리고 있습니다. 먼저 알림 하나를 지워 주세요.
error-order-not-reorderable = 끝난 주문만 다시 주문할 수 있습니다.
