# Delivery: couriers, their jobs, and what refuses a step.
error-courier-not-set-up = The operator has not finished setting you up as a courier yet.
error-courier-offline = Go online before you take a job.
error-courier-works-elsewhere = This courier works for another shop only.
error-handover-code-required = To deliver, type the code the customer gives you.
error-job-changed = This job changed meanwhile. Look at it again.
error-job-step-invalid = That is not a step of a delivery.
error-job-step-not-allowed = This job cannot take that step now.
error-job-step-not-yours = That step is not yours to take on this job.
error-job-taken = Another courier took this job first.
error-not-a-courier = This person is not a courier.
error-order-not-ready = The shop has not made the order ready yet.
error-order-with-courier = A courier has this order's goods. The delivery ends first.
error-too-many-jobs = Finish a job before you take another.
error-vehicle-invalid = Choose on foot, bicycle, motorbike or car.
