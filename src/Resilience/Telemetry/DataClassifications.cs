using Microsoft.Extensions.Compliance.Classification;

namespace Messaging.Resilience.Telemetry;

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

/// <summary>Marks a value as <see cref="DataClassifications.Secret"/>.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class SecretAttribute : DataClassificationAttribute
{
    /// <summary>Initializes a new instance of the <see cref="SecretAttribute"/> class.</summary>
    public SecretAttribute()
        : base(DataClassifications.Secret)
    {
    }
}

/// <summary>Marks a value as <see cref="DataClassifications.Personal"/>.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.ReturnValue, AllowMultiple = false)]
public sealed class PersonalAttribute : DataClassificationAttribute
{
    /// <summary>Initializes a new instance of the <see cref="PersonalAttribute"/> class.</summary>
    public PersonalAttribute()
        : base(DataClassifications.Personal)
    {
    }
}
