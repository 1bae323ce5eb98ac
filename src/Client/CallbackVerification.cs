namespace Messaging.Client;

/// <summary>The outcome of <see cref="CallbackSignature.Verify(ReadOnlySpan{byte}, string?, string?, string?, IEnumerable{string}, TimeProvider?, TimeSpan?)"/>.</summary>
public enum CallbackVerification
{
    /// <summary>A signature matches one of the secrets and the timestamp is recent: the gateway sent it.</summary>
    Valid,

    /// <summary><c>webhook-id</c>, <c>webhook-timestamp</c> or <c>webhook-signature</c> is missing or empty.</summary>
    MissingHeaders,

    /// <summary>The timestamp is not a number, or too far from now (an old request replayed, or a clock far off).</summary>
    TimestampOutOfRange,

    /// <summary>No signature matches any of the secrets: not from the gateway, or the body was changed.</summary>
    SignatureMismatch,
}
