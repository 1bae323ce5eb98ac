using System.Text.Json.Serialization;
using Messaging.FakeServices.Crm;
using Messaging.FakeServices.Providers;

namespace Messaging.FakeServices.Instances;

/// <summary>
/// Settings of the fake providers (section <c>FakeServices</c>). Validated at start by
/// <see cref="FakeServicesOptionsValidator"/>; every error names its configuration key.
/// </summary>
internal sealed class FakeServicesOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "FakeServices";

    /// <summary>
    /// The provider instances, by name (case-insensitive). Each listens on its own port; a request
    /// acts for the instance whose port it arrived on.
    /// </summary>
    /// <value>
    /// The default value is <c>payments-primary</c> on http://127.0.0.1:5091, <c>payments-secondary</c>
    /// on http://127.0.0.1:5092, <c>notifications</c> on http://127.0.0.1:5093, <c>shipping</c> on
    /// http://127.0.0.1:5094 and <c>crm</c> on http://127.0.0.1:5095. Configuration merges into these
    /// entries (set only <c>Url</c> to move one).
    /// </value>
    public Dictionary<string, FakeInstanceOptions> Instances { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [FakeServicesDefaults.PaymentsPrimary] = new() { Url = FakeServicesDefaults.PaymentsPrimaryUrl, Provider = ProviderKind.Payments },
        [FakeServicesDefaults.PaymentsSecondary] = new() { Url = FakeServicesDefaults.PaymentsSecondaryUrl, Provider = ProviderKind.Payments },
        [FakeServicesDefaults.Notifications] = new() { Url = FakeServicesDefaults.NotificationsUrl, Provider = ProviderKind.Notifications },
        [FakeServicesDefaults.Shipping] = new() { Url = FakeServicesDefaults.ShippingUrl, Provider = ProviderKind.Shipping },
        [FakeServicesDefaults.Crm] = new() { Url = FakeServicesDefaults.CrmUrl, Provider = ProviderKind.Crm },
    };

    /// <summary>The payments provider (OAuth2 client credentials, charges).</summary>
    public PaymentsProviderOptions Payments { get; set; } = new();

    /// <summary>The notifications provider (API key, messages).</summary>
    public NotificationsProviderOptions Notifications { get; set; } = new();

    /// <summary>The shipping provider (API key, labels).</summary>
    public ShippingProviderOptions Shipping { get; set; } = new();

    /// <summary>The CRM provider (configurable authentication, contacts and notes, recorded requests).</summary>
    public CrmProviderOptions Crm { get; set; } = new();

    /// <summary>The request ledger.</summary>
    public LedgerOptions Ledger { get; set; } = new();
}

/// <summary>One provider instance (section <c>FakeServices:Instances:&lt;name&gt;</c>).</summary>
internal sealed class FakeInstanceOptions
{
    /// <summary>
    /// The address the instance listens on: <c>http://</c>, a loopback or IP address, <c>localhost</c>
    /// or <c>*</c>, and an explicit port that no other instance uses. Required.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>The provider the instance serves.</summary>
    /// <value>The default value is <see cref="ProviderKind.Payments"/>.</value>
    public ProviderKind Provider { get; set; } = ProviderKind.Payments;
}

/// <summary>The payments provider (section <c>FakeServices:Payments</c>).</summary>
internal sealed class PaymentsProviderOptions
{
    /// <summary>The only client id the token endpoint accepts.</summary>
    /// <value>The default value is <c>gateway-workers</c>.</value>
    public string ClientId { get; set; } = FakeServicesDefaults.PaymentsClientId;

    /// <summary>The secret of <see cref="ClientId"/>.</summary>
    /// <value>The default value is <c>fake-payments-secret</c>.</value>
    public string ClientSecret { get; set; } = FakeServicesDefaults.PaymentsClientSecret;

    /// <summary>
    /// Lifetime of issued access tokens, in seconds (1 to 86400). The control API can change it at run
    /// time (<c>PUT /control/payments/token-lifetime</c>).
    /// </summary>
    /// <value>The default value is 300 seconds.</value>
    public int TokenLifetimeSeconds { get; set; } = 300;
}

/// <summary>The notifications provider (section <c>FakeServices:Notifications</c>).</summary>
internal sealed class NotificationsProviderOptions
{
    /// <summary>The API key callers send as <c>Authorization: Bearer &lt;ApiKey&gt;</c>.</summary>
    /// <value>The default value is <c>fake-notifications-key</c>.</value>
    public string ApiKey { get; set; } = FakeServicesDefaults.NotificationsApiKey;
}

/// <summary>The shipping provider (section <c>FakeServices:Shipping</c>).</summary>
internal sealed class ShippingProviderOptions
{
    /// <summary>The API key callers send as <c>X-Api-Key: &lt;ApiKey&gt;</c>.</summary>
    /// <value>The default value is <c>fake-shipping-key</c>.</value>
    public string ApiKey { get; set; } = FakeServicesDefaults.ShippingApiKey;
}

/// <summary>How the CRM provider authenticates callers. In JSON (control API) by name: <c>"ApiKey"</c>.</summary>
[JsonConverter(typeof(CrmAuthModeJsonConverter))]
internal enum CrmAuthMode
{
    /// <summary><c>Authorization: Basic base64(Username:Password)</c>.</summary>
    Basic,

    /// <summary><c>X-Api-Key: ApiKey</c>.</summary>
    ApiKey,

    /// <summary><c>Authorization: Bearer ApiKey</c>.</summary>
    Bearer,

    /// <summary>Every request is accepted.</summary>
    None,
}

/// <summary>The CRM provider (section <c>FakeServices:Crm</c>).</summary>
internal sealed class CrmProviderOptions
{
    /// <summary>
    /// How callers authenticate. The control API can change it at run time
    /// (<c>PUT /control/crm/auth</c>); <c>POST /control/reset</c> restores this value.
    /// </summary>
    /// <value>The default value is <see cref="CrmAuthMode.Basic"/>.</value>
    public CrmAuthMode Auth { get; set; } = CrmAuthMode.Basic;

    /// <summary>The user name of <see cref="CrmAuthMode.Basic"/> (no <c>:</c>).</summary>
    /// <value>The default value is <c>gateway</c>.</value>
    public string Username { get; set; } = FakeServicesDefaults.CrmUsername;

    /// <summary>The password of <see cref="CrmAuthMode.Basic"/>.</summary>
    /// <value>The default value is <c>fake-crm-password</c>.</value>
    public string Password { get; set; } = FakeServicesDefaults.CrmPassword;

    /// <summary>The key of <see cref="CrmAuthMode.ApiKey"/> (in <c>X-Api-Key</c>) and <see cref="CrmAuthMode.Bearer"/>.</summary>
    /// <value>The default value is <c>fake-crm-key</c>.</value>
    public string ApiKey { get; set; } = FakeServicesDefaults.CrmApiKey;

    /// <summary>How many received requests the CRM provider keeps for <c>GET /control/crm/requests</c> (oldest dropped first).</summary>
    /// <value>The default value is 10 000.</value>
    public int MaxRecordedRequests { get; set; } = 10_000;
}

/// <summary>The request ledger (section <c>FakeServices:Ledger</c>).</summary>
internal sealed class LedgerOptions
{
    /// <summary>
    /// How many request-log entries each provider keeps (the oldest are dropped first). Counters and
    /// effects are exact regardless of this cap.
    /// </summary>
    /// <value>The default value is 200 000.</value>
    public int MaxRequestLogEntries { get; set; } = 200_000;
}
