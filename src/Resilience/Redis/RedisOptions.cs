using System.ComponentModel.DataAnnotations;

namespace Messaging.Resilience.Redis;

/// <summary>Settings shared by everything that keeps data in Redis (section <c>Redis</c>).</summary>
public sealed class RedisOptions
{
    /// <summary>Gets or sets the prefix of every key we write, so several deployments (or test runs) can share one Redis.</summary>
    /// <value>The default value is <c>messaging:</c>.</value>
    [Required(AllowEmptyStrings = true)]
    [MaxLength(128)]
    public string KeyPrefix { get; set; } = "messaging:";
}
