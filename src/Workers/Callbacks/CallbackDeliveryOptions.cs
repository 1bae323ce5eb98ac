namespace Messaging.Workers.Callbacks;

/// <summary>How the workers deliver completion callbacks (section <c>Callbacks</c>, beside the secret keys; checked by <see cref="CallbackDeliveryOptionsValidator"/>).</summary>
internal sealed class CallbackDeliveryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Callbacks";

    /// <summary>
    /// Deliveries in flight to one origin (scheme, host and port) at a time, across this worker. A delivery beyond it is
    /// deferred without an attempt, so a slow receiver holds at most this many of the <c>callbacks.deliver</c> endpoint's
    /// slots (<c>Commands:Types:callbacks.deliver:Flow:ConcurrencyLimit</c>, which must be larger).
    /// </summary>
    /// <value>The default value is 4.</value>
    public int MaxConcurrencyPerOrigin { get; set; } = 4;
}
