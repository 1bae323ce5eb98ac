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
}

/// <summary>Wire names of <see cref="ProviderKind"/> (query strings, JSON).</summary>
internal static class ProviderNames
{
    public const string Payments = "payments";
    public const string Notifications = "notifications";
    public const string Shipping = "shipping";

    /// <summary>The wire names, for error messages: <c>payments, notifications or shipping</c>.</summary>
    public const string Choices = "payments, notifications or shipping";

    public static string ToWireName(this ProviderKind kind) => kind switch
    {
        ProviderKind.Payments => Payments,
        ProviderKind.Notifications => Notifications,
        ProviderKind.Shipping => Shipping,
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

        kind = default;
        return false;
    }
}
