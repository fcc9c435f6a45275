# 약국: 약사, 표시된 약의 확인, 처방전 사진.
role-pharmacist = 약사
error-not-a-pharmacy = 약국으로 판매하는 가게만 약사를 둘 수 있습니다.
error-pharmacist-only = 표시된 약은 약국의 약사만 확인할 수 있습니다.
error-order-not-awaiting-check = 이 주문은 약사의 확인을 기다리고 있지 않습니다.
error-check-lines-invalid = 표시된 약마다 한 번씩, 표시된 약만 결정해 주세요.
error-check-note-required = 이 약을 거절하는 이유를 적어 주세요. 고객이 읽습니다.
error-check-note-invalid = 메모는 200자 이내의 일반 텍스트여야 합니다.
error-not-a-pharmacy-order = 처방전은 약국 주문에만 첨부할 수 있습니다.
error-order-ended = 이 주문은 이미 끝났습니다.
