namespace Messaging.FakeServices.Providers;

/// <summary>The provider an instance serves. Instances of one provider share one backend (tokens, ledger).</summary>
internal enum ProviderKind
{
    /// <summary>OAuth2 token endpoint and <c>POST /v1/charges</c>.</summary>
    Payments,

    /// <summary><c>POST /v1/messages</c> with an API key.</summary>
    Notifications,

    /// <summary><c>POST /v1/labels</c> with an API key in <c>X-Api-Key</c>.</summary>
    Shipping,

    /// <summary>
    /// A generic HTTP API (contacts and notes) with Basic, API-key, bearer or no authentication, that
    /// records what it received.
    /// </summary>
    Crm,
}

/// <summary>Wire names of <see cref="ProviderKind"/> (query strings, JSON).</summary>
internal static class ProviderNames
{
    public const string Payments = "payments";
    public const string Notifications = "notifications";
    public const string Shipping = "shipping";
    public const string Crm = "crm";

    /// <summary>The wire names, for error messages: <c>payments, notifications, shipping or crm</c>.</summary>
    public const string Choices = "payments, notifications, shipping or crm";

    public static string ToWireName(this ProviderKind kind) => kind switch
    {
        ProviderKind.Payments => Payments,
        ProviderKind.Notifications => Notifications,
        ProviderKind.Shipping => Shipping,
        ProviderKind.Crm => Crm,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string? value, out ProviderKind kind)
    {
        if (string.Equals(value, Payments, StringComparison.OrdinalIgnoreCase))
        {
            kind = ProviderKind.Payments;
            return true;
        }

        if (string.Equals(value, Notifications, StringComparison.OrdinalIgnoreCase))
        {
            kind = ProviderKind.Notifications;
            return true;
        }

        if (string.Equals(value, Shipping, StringComparison.OrdinalIgnoreCase))
        {
            kind = ProviderKind.Shipping;
            return true;
        }

        if (string.Equals(value, Crm, StringComparison.OrdinalIgnoreCase))
        {
            kind = ProviderKind.Crm;
            return true;
        }

        kind = default;
        return false;
    }
}
