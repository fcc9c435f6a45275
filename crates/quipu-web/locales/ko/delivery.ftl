# 배달: 배달원, 배달 일, 그리고 단계를 거절하는 이유.
error-courier-not-set-up = 운영자가 아직 배달원 등록을 마치지 않았습니다.
error-courier-offline = 일을 맡기 전에 먼저 근무를 시작하세요.
error-courier-works-elsewhere = 이 배달원은 다른 가게 한 곳에서만 일합니다.
error-handover-code-required = 배달을 마치려면 고객이 알려 주는 코드를 입력하세요.
error-job-changed = 그사이 배달 일이 바뀌었습니다. 다시 확인해 주세요.
error-job-step-invalid = 배달의 단계가 아닙니다.
error-job-step-not-allowed = 이 배달은 지금 그 단계로 갈 수 없습니다.
error-job-step-not-yours = 이 배달에서 그 단계는 당신이 할 수 없습니다.
error-job-taken = 다른 배달원이 먼저 이 일을 맡았습니다.
error-not-a-courier = 이 사람은 배달원이 아닙니다.
error-order-not-ready = 가게가 아직 주문을 준비하지 않았습니다.
error-order-with-courier = 배달원이 이 주문의 물건을 가지고 있습니다. 배달이 먼저 끝나야 합니다.
error-too-many-jobs = 다른 일을 맡기 전에 하던 일을 먼저 마치세요.
error-vehicle-invalid = 도보, 자전거, 오토바이, 자동차 중에서 고르세요.
