using System.ComponentModel.DataAnnotations;

namespace Messaging.CommandTypes.Notifications;

/// <summary>The notifications provider's API key (section <c>ExternalServices:Notifications</c>, which also lists its <c>Endpoints</c>).</summary>
public sealed class NotificationsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "ExternalServices:Notifications";

    /// <summary>The API key sent as a bearer token. Never logged.</summary>
    [Required(ErrorMessage = "ExternalServices:Notifications:ApiKey is required.")]
    public string ApiKey { get; set; } = "";
}
