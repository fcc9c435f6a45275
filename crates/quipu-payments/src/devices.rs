//! Customers' devices: each holds a secret it derives one-time payment codes
//! from, offline (docs/payment-codes.md). Enrolled with the PIN; paused,
//! resumed, or revoked for good.

use quipu_codes::numeric;
use quipu_domain::Timestamp;
use quipu_domain::identity::{DisplayName, Pin, Role};
use quipu_domain::payment::{DeviceId, DeviceStatus};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::StoreError;
use quipu_store::payments::DeviceRecord;

use crate::Payments;

/// Attempts at drawing an unused device reference before giving up.
const DEVICE_REF_DRAWS: u32 = 8;

/// What a customer does to an enrolled device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAction {
    Pause,
    Resume,
    Revoke,
}

/// A device as its owner sees it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub label: String,
    /// The eight digits after the 84 prefix in this device's payment codes.
    pub device_ref: u32,
    pub status: DeviceStatus,
    pub created_at: Timestamp,
}

impl From<&DeviceRecord> for Device {
    fn from(device: &DeviceRecord) -> Self {
        Self {
            id: device.id,
            label: device.label.clone(),
            device_ref: device.device_ref,
            status: device.status,
            created_at: device.created_at,
        }
    }
}

/// A newly enrolled device and its secret: shown once, kept on the device.
#[derive(Debug, Clone)]
pub struct EnrolledDevice {
    pub device: Device,
    pub secret_hex: String,
}

/// A device's label as typed: 1 to 100 printable characters.
pub fn parse_label(text: &str) -> CoreResult<DisplayName> {
    DisplayName::parse(text.trim())
        .map_err(|_| CoreError::invalid("invalid_label", "a device label is 1 to 100 printable characters"))
}

impl Payments {
    /// Enrols a customer's device, confirmed by PIN. The secret is shown once.
    pub async fn enroll_device(
        &self,
        principal: &Principal,
        label: &DisplayName,
        pin: &Pin,
    ) -> CoreResult<EnrolledDevice> {
        principal.require(Role::Customer)?;
        let customer = self.kernel.current_user(principal).await?;
        self.kernel.check_pin(&customer, pin, &quipu_kernel::GuessSource::of(principal)).await?;
        let secret: [u8; numeric::SECRET_BYTES] = quipu_kernel::random::bytes(self.kernel.random.as_ref());
        let now = self.kernel.now();
        let max_devices = self.kernel.settings.payments.max_devices;
        for _ in 0..DEVICE_REF_DRAWS {
            let device = DeviceRecord {
                id: DeviceId(self.kernel.new_id()),
                user_id: customer.id,
                device_ref: quipu_kernel::random::in_range(self.kernel.random.as_ref(), 1..=numeric::MAX_DEVICE_REF),
                label: label.as_str().to_owned(),
                secret: secret.to_vec(),
                status: DeviceStatus::Active,
                created_at: now,
                updated_at: now,
            };
            match self.kernel.store.insert_device(&device, max_devices).await {
                Ok(true) => {
                    return Ok(EnrolledDevice { device: Device::from(&device), secret_hex: hex::encode(secret) });
                }
                Ok(false) => {
                    return Err(CoreError::new(
                        ErrorKind::Rejected,
                        "too_many_devices",
                        format!("at most {max_devices} devices; revoke one first"),
                    ));
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(CoreError::new(ErrorKind::Unavailable, "device_ref_exhausted", "no free device reference; try again"))
    }

    pub async fn devices(&self, principal: &Principal) -> CoreResult<Vec<Device>> {
        let customer = principal.require(Role::Customer)?;
        Ok(self.kernel.store.devices_of(customer).await?.iter().map(Device::from).collect())
    }

    /// Pauses, resumes or revokes one of the caller's devices. Revoking is final.
    pub async fn change_device(&self, principal: &Principal, id: DeviceId, action: DeviceAction) -> CoreResult<Device> {
        let customer = principal.require(Role::Customer)?;
        let status = match action {
            DeviceAction::Pause => DeviceStatus::Paused,
            DeviceAction::Resume => DeviceStatus::Active,
            DeviceAction::Revoke => DeviceStatus::Revoked,
        };
        let store = &self.kernel.store;
        if !store.set_device_status(id, customer, status, self.kernel.now()).await? {
            return Err(CoreError::not_found("device"));
        }
        let devices = store.devices_of(customer).await?;
        devices.iter().find(|d| d.id == id).map(Device::from).ok_or_else(|| CoreError::not_found("device"))
    }
}
