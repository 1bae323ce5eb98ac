namespace Messaging.FakeServices;

/// <summary>
/// Names and defaults of the fake providers, for tests and tools that drive them. Each value can be
/// changed by configuration (see tests/FakeServices/README.md); these are the values used when it is not.
/// </summary>
public static class FakeServicesDefaults
{
    /// <summary>The primary payments instance.</summary>
    public const string PaymentsPrimary = "payments-primary";

    /// <summary>The secondary payments instance (same backend: shares tokens and idempotency keys with the primary).</summary>
    public const string PaymentsSecondary = "payments-secondary";

    /// <summary>The notifications instance.</summary>
    public const string Notifications = "notifications";

    /// <summary>The shipping instance.</summary>
    public const string Shipping = "shipping";

    /// <summary>The CRM instance (a generic HTTP API that records the requests it receives).</summary>
    public const string Crm = "crm";

    /// <summary>The default address of <see cref="PaymentsPrimary"/>.</summary>
    public const string PaymentsPrimaryUrl = "http://127.0.0.1:5091";

    /// <summary>The default address of <see cref="PaymentsSecondary"/>.</summary>
    public const string PaymentsSecondaryUrl = "http://127.0.0.1:5092";

    /// <summary>The default address of <see cref="Notifications"/>.</summary>
    public const string NotificationsUrl = "http://127.0.0.1:5093";

    /// <summary>The default address of <see cref="Shipping"/>.</summary>
    public const string ShippingUrl = "http://127.0.0.1:5094";

    /// <summary>The default address of <see cref="Crm"/>.</summary>
    public const string CrmUrl = "http://127.0.0.1:5095";

    /// <summary>The default OAuth2 client id of the payments provider.</summary>
    public const string PaymentsClientId = "gateway-workers";

    /// <summary>The default OAuth2 client secret of the payments provider.</summary>
    public const string PaymentsClientSecret = "fake-payments-secret";

    /// <summary>The default API key of the notifications provider.</summary>
    public const string NotificationsApiKey = "fake-notifications-key";

    /// <summary>The default API key of the shipping provider (sent as <c>X-Api-Key</c>).</summary>
    public const string ShippingApiKey = "fake-shipping-key";

    /// <summary>The default user name of the CRM provider's Basic authentication.</summary>
    public const string CrmUsername = "gateway";

    /// <summary>The default password of the CRM provider's Basic authentication.</summary>
    public const string CrmPassword = "fake-crm-password";

    /// <summary>
    /// The default API key of the CRM provider: sent as <c>X-Api-Key</c> in the <c>ApiKey</c> mode and as
    /// <c>Authorization: Bearer</c> in the <c>Bearer</c> mode.
    /// </summary>
    public const string CrmApiKey = "fake-crm-key";

    /// <summary>A customer whose charges are always declined: 402 <c>{"error":"card_declined"}</c>.</summary>
    public const string DeclinedCustomerId = "cus_declined";

    /// <summary>A recipient the notifications provider always refuses: 400 <c>{"error":"recipient_refused"}</c>.</summary>
    public const string RefusedRecipient = "refused@example.com";

    /// <summary>
    /// A postal code the shipping provider never delivers to: 422
    /// <c>{"error":{"code":"undeliverable","message":"..."}}</c>.
    /// </summary>
    public const string UndeliverablePostalCode = "00000";

    /// <summary>
    /// A contact id the CRM provider always refuses: 422
    /// <c>{"error":{"code":"invalid_contact","message":"..."}}</c>.
    /// </summary>
    public const string RejectedContactId = "rejected";

    /// <summary>A contact id the CRM provider does not know: 404 <c>{"error":"not_found","message":"..."}</c>.</summary>
    public const string GoneContactId = "gone";

    /// <summary>A contact id whose successful answers carry a JSON body larger than 20 KiB.</summary>
    public const string BigContactId = "big";
}
