//! The bodies of the cart, checkout and order moves, and how each becomes domain values.

use quipu_core::market::{CheckoutInput, Fulfilment, PayWith};
use quipu_core::{CoreError, CoreResult};
use quipu_domain::identity::{MerchantId, SecretText};
use quipu_domain::market::AreaId;
use quipu_domain::market::catalog::{Choices, MAX_OPTION_GROUPS, MAX_OPTIONS_PER_GROUP};
use quipu_domain::market::checkout::{FulfilmentKind, LineEdit};
use quipu_domain::market::storefront::Coordinates;
use quipu_domain::money::Currency;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::common::requests::{card_number, optional_whole, pin, whole};

/// One option picked: the index of its group in the product's `option_groups`, and of the option in
/// that group, both from 0.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceRequest {
    #[schema(example = 0, minimum = 0, maximum = 9)]
    #[serde(deserialize_with = "whole")]
    pub group: u32,
    #[schema(example = 1, minimum = 0, maximum = 29)]
    #[serde(deserialize_with = "whole")]
    pub option: u32,
}

/// The picks as the domain reads them: for each group, the options chosen.
pub fn choices(picks: &[ChoiceRequest]) -> CoreResult<Choices> {
    let mut choices: Choices = Vec::new();
    for pick in picks {
        let (group, option) = (pick.group as usize, pick.option as usize);
        if group >= MAX_OPTION_GROUPS || option >= MAX_OPTIONS_PER_GROUP {
            return Err(CoreError::rejected("choices_invalid", "an option chosen does not exist"));
        }
        if choices.len() <= group {
            choices.resize(group + 1, Vec::new());
        }
        if let Some(chosen) = choices.get_mut(group) {
            chosen.push(option);
        }
    }
    Ok(choices)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddToCartRequest {
    #[schema(example = "01930f6e-7c5a-7d3e-9b1a-2f4c6e8a0b1c")]
    pub product_id: uuid::Uuid,
    #[schema(example = 2, minimum = 1, maximum = 99)]
    #[serde(deserialize_with = "whole")]
    pub quantity: u32,
    /// The options picked, for a product with option groups.
    #[serde(default)]
    #[schema(max_items = 300, example = json!([]))]
    pub choices: Vec<ChoiceRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartQuantityRequest {
    /// 0 removes the line.
    #[schema(example = 3, minimum = 0, maximum = 99)]
    #[serde(deserialize_with = "whole")]
    pub quantity: u32,
}

/// How to pay: `wallet` with the customer's PIN, or `card` with a prepaid card's number and PIN.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutPaymentRequest {
    #[schema(example = "wallet", pattern = "^(?:wallet|card)$")]
    pub method: String,
    /// 4 to 6 digits.
    #[schema(value_type = String, format = Password, write_only, example = "1234", pattern = "^[0-9]{4,6}$")]
    pub pin: SecretText,
    /// For `card`: the card's 16-digit number.
    #[schema(example = "9900010000000019", pattern = "^[0-9]{16}$")]
    pub card_number: Option<String>,
}

/// How one shop's order reaches the customer.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentRequest {
    #[schema(example = "01930f6e-7c5a-7d3e-9b1a-2f4c6e8a0b1c")]
    pub seller_id: uuid::Uuid,
    #[schema(example = "pickup", pattern = "^(?:pickup|delivery)$")]
    pub kind: String,
    /// For a delivery: the district it goes to (one of `GET /market/areas`).
    pub area_id: Option<uuid::Uuid>,
    /// For a delivery within the shop's radius: where the customer is.
    #[schema(example = 37.5563, minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(example = 126.9236, minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// For a delivery: the building, floor, door (at most 200 characters).
    #[serde(default)]
    #[schema(example = "Building 3, flat 402")]
    pub address: String,
    /// For the shop (at most 200 characters).
    #[serde(default)]
    #[schema(example = "no onions, please")]
    pub note: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    #[schema(example = json!({"method": "wallet", "pin": "1234"}))]
    pub payment: CheckoutPaymentRequest,
    /// One per shop in the cart.
    #[schema(min_items = 1, max_items = 5, example = json!([{"seller_id": "01930f6e-7c5a-7d3e-9b1a-2f4c6e8a0b1c", "kind": "pickup"}]))]
    pub fulfilments: Vec<FulfilmentRequest>,
}

impl CheckoutRequest {
    pub fn input(&self) -> CoreResult<CheckoutInput> {
        let pin = pin(&self.payment.pin)?;
        let pay = match (self.payment.method.as_str(), self.payment.card_number.as_deref()) {
            ("wallet", _) => PayWith::Wallet { pin },
            ("card", Some(number)) => PayWith::Card { number: card_number(number)?, pin },
            ("card", None) => {
                return Err(CoreError::rejected("card_number_missing", "paying by card needs its number"));
            }
            _ => return Err(CoreError::invalid("payment_method_invalid", "pay by wallet or card")),
        };
        if self.fulfilments.len() > quipu_domain::market::checkout::MAX_CART_SELLERS {
            return Err(CoreError::rejected("fulfilment_unknown", "a cart holds at most 5 shops"));
        }
        let fulfilments = self.fulfilments.iter().map(FulfilmentRequest::fulfilment).collect::<CoreResult<_>>()?;
        Ok(CheckoutInput { pay, fulfilments })
    }
}

impl FulfilmentRequest {
    fn fulfilment(&self) -> CoreResult<Fulfilment> {
        let kind = FulfilmentKind::parse(&self.kind)
            .ok_or_else(|| CoreError::invalid("fulfilment_invalid", "an order is picked up or delivered"))?;
        let location = match (self.latitude, self.longitude) {
            (Some(latitude), Some(longitude)) => Some(
                Coordinates::new(latitude, longitude)
                    .map_err(|error| CoreError::rejected("location_invalid", error.to_string()))?,
            ),
            (None, None) => None,
            _ => return Err(CoreError::rejected("location_invalid", "a location has both a latitude and a longitude")),
        };
        Ok(Fulfilment {
            seller: MerchantId(self.seller_id),
            kind,
            area: self.area_id.map(AreaId),
            location,
            address: self.address.clone(),
            note: self.note.clone(),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptOrderRequest {
    /// When the order will be ready, in minutes from now (at most a day).
    #[schema(example = 20, minimum = 0, maximum = 1440)]
    #[serde(deserialize_with = "whole")]
    pub ready_minutes: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// The other party reads it (at most 200 characters).
    #[schema(example = "out of fresh bread today")]
    pub reason: String,
}

/// The customer's hand-over code, as they show or tell it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOverRequest {
    /// Four digits, from the customer's order page.
    #[schema(example = "0421")]
    pub code: String,
}

/// One line changed by the shop: not supplied at all, fewer supplied, or a weighed line's price.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineEditRequest {
    /// The line's `position` in the order.
    #[schema(example = 0, minimum = 0, maximum = 49)]
    #[serde(deserialize_with = "whole")]
    pub position: u32,
    /// True: the shop cannot supply it.
    #[serde(default)]
    #[schema(example = false)]
    pub unavailable: bool,
    /// Fewer than ordered are supplied.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(example = 1, minimum = 0, maximum = 99)]
    pub quantity: Option<u32>,
    /// A weighed line's price off the scale, within what was held for it.
    #[schema(example = "4.40")]
    pub weighed_price: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineEditsRequest {
    #[schema(min_items = 1, max_items = 50, example = json!([{"position": 0, "unavailable": true}]))]
    pub lines: Vec<LineEditRequest>,
}

impl LineEditsRequest {
    pub fn edits(&self, currency: &Currency) -> CoreResult<Vec<(u32, LineEdit)>> {
        self.lines
            .iter()
            .map(|line| {
                let edit = match (line.unavailable, line.quantity, line.weighed_price.as_deref()) {
                    (true, None, None) => LineEdit::Unavailable,
                    (false, Some(quantity), None) => LineEdit::Quantity(quantity),
                    (false, None, Some(price)) => LineEdit::Weighed(
                        currency
                            .parse_amount(price)
                            .map_err(|error| CoreError::rejected("amount_invalid", error.to_string()))?,
                    ),
                    _ => {
                        return Err(CoreError::rejected(
                            "line_edit_invalid",
                            "say one thing of a line: unavailable, a quantity, or a weighed price",
                        ));
                    }
                };
                Ok((line.position, edit))
            })
            .collect()
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ShopOrdersParams {
    /// `open` (the board, oldest first; the default), `ended` (latest first), or
    /// `awaiting_pharmacist` (a pharmacy's check queue, oldest first).
    #[param(example = "open", pattern = "^(?:open|ended|awaiting_pharmacist)$")]
    pub state: Option<String>,
}

/// Which of a shop's orders to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopOrders {
    Open,
    Ended,
    AwaitingPharmacist,
}

impl ShopOrdersParams {
    pub fn listing(&self) -> CoreResult<ShopOrders> {
        match self.state.as_deref() {
            None | Some("open") => Ok(ShopOrders::Open),
            Some("ended") => Ok(ShopOrders::Ended),
            Some("awaiting_pharmacist") => Ok(ShopOrders::AwaitingPharmacist),
            Some(_) => Err(CoreError::invalid("state_invalid", "orders are open, ended or awaiting_pharmacist")),
        }
    }
}
