using System.ComponentModel.DataAnnotations;

namespace Messaging.Client;

/// <summary>How <see cref="MessagingClient"/> reaches and authenticates to the gateway.</summary>
public sealed class MessagingClientOptions
{
    /// <summary>The gateway's base address, for example <c>http://127.0.0.1:5080/</c>. Required.</summary>
    [Required]
    public Uri? BaseAddress { get; set; }

    /// <summary>The client id (from <c>clients add</c>). Required.</summary>
    [Required]
    public string ClientId { get; set; } = "";

    /// <summary>The client secret (shown once by <c>clients add</c>). Required; never logged.</summary>
    [Required]
    public string ClientSecret { get; set; } = "";

    /// <summary>
    /// The scopes to ask for, space-separated (<c>commands</c>, <c>admin</c>, <c>operator</c>); all scopes granted to the
    /// client when empty. Asking for a scope the client does not hold fails the token request (an operator client
    /// holds <c>operator</c> only, a tenant's client never holds it), so leave it empty unless the token must be narrower.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (all granted scopes).</value>
    public string? Scopes { get; set; }

    /// <summary>
    /// How long before its expiry an access token is replaced. The client never sends a token inside this
    /// window, so no call fails because a token expired on the way. Capped at half the token's lifetime.
    /// </summary>
    /// <value>The default value is 60 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan TokenRefreshBeforeExpiry { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Retries of one call after a connection failure, a 503 or a 429 (other answers are never retried).
    /// Every retry of a send carries the same <c>Idempotency-Key</c>, so a retry cannot create a second command.
    /// </summary>
    /// <value>The default value is 5.</value>
    [Range(0, 100)]
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>The first pause between retries when the gateway gives no <c>Retry-After</c>; later ones grow exponentially, with jitter.</summary>
    /// <value>The default value is 500 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The longest pause between retries. A <c>Retry-After</c> longer than this is not waited for: the call
    /// fails with a <see cref="MessagingClientException"/> that carries the <c>Retry-After</c>.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first pause between status reads while waiting for a command; later ones grow by half each time.</summary>
    /// <value>The default value is 250 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest pause between status reads while waiting for a command.</summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
