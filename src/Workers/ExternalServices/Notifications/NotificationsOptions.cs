using System.ComponentModel.DataAnnotations;

namespace Messaging.Workers.ExternalServices.Notifications;

/// <summary>The notifications provider (section <c>ExternalServices:Notifications</c>).</summary>
public sealed class NotificationsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "ExternalServices:Notifications";

    /// <summary>Base URLs of the provider in failover order (absolute http or https, at most 11), read at start.</summary>
    [Required(ErrorMessage = "ExternalServices:Notifications:Endpoints is required.")]
    public List<string> Endpoints { get; set; } = [];

    /// <summary>The API key sent as a bearer token. Never logged.</summary>
    [Required(ErrorMessage = "ExternalServices:Notifications:ApiKey is required.")]
    public string ApiKey { get; set; } = "";
}
