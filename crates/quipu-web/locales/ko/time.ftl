# 현지 시간: 사람이 시간을 읽는 시간대, 또는 가게가 하루를 셈하는 시간대.
time-zone-heading = 시간대
time-zone-now = 이 화면의 시간 기준:
field-time-zone = 시간대 (예: Asia/Seoul)
time-zone-button = 시간대 저장
done-time-zone = 시간대를 저장했습니다.
error-invalid-time-zone = 알 수 없는 시간대입니다. Asia/Seoul, America/Lima, UTC처럼 입력해 주세요.
