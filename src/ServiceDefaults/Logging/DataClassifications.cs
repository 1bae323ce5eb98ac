using Microsoft.Extensions.Compliance.Classification;

namespace Messaging.ServiceDefaults.Logging;

/// <summary>
/// Our data classification taxonomy. Annotate <c>[LoggerMessage]</c> parameters with
/// <see cref="SecretAttribute"/> or <see cref="PersonalAttribute"/>; with ServiceDefaults' log redaction
/// enabled the value is erased before any logging provider sees it.
/// </summary>
public static class DataClassifications
{
    /// <summary>The taxonomy name shared by all our classifications.</summary>
    public const string TaxonomyName = "Messaging";

    /// <summary>Credentials, tokens, API keys, signing keys, Authorization values: never logged.</summary>
    public static DataClassification Secret { get; } = new(TaxonomyName, nameof(Secret));

    /// <summary>Data about a person (addresses, phone numbers, customer ids): erased in logs.</summary>
    public static DataClassification Personal { get; } = new(TaxonomyName, nameof(Personal));
}
