using Microsoft.Extensions.Compliance.Classification;

namespace Messaging.ServiceDefaults.Logging;

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
