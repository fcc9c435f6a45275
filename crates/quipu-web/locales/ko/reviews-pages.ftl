# 운영자가 마켓의 가게 평가를 관리하는 화면.
moderation-heading = 가게 평가
moderation-note = 모든 가게의 최근 평가입니다. 평가를 가리면 그 글(한마디와 가게의 답)은 쓴 고객 말고는 아무도 볼 수 없고, 별점은 그대로 반영됩니다.
moderation-empty = 아직 가게를 평가한 사람이 없습니다.
moderation-hidden-because = 글을 가린 사유:
moderation-reason = 글을 가리는 사유
moderation-hide = 글 가리기
done-hidden = 이 평가의 글을 가렸습니다.
