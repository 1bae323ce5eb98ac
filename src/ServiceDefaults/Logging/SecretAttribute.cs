using Microsoft.Extensions.Compliance.Classification;

namespace Messaging.ServiceDefaults.Logging;

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
