namespace Messaging.CommandTypes;

/// <summary>
/// What a handler returns: a result to store (the command <c>Succeeded</c>), or a refusal (the command
/// <c>Failed</c> and is not retried). A failure without a business answer is thrown instead, as a
/// <see cref="Providers.ProviderException"/>: transient ones are retried, the others dead-lettered.
/// </summary>
public sealed class CommandResult
{
    private CommandResult(string? resultJson, CommandError? refusal)
    {
        ResultJson = resultJson;
        Refusal = refusal;
    }

    /// <summary>The provider's response as stored in <c>commands.result</c> (JSON), when it accepted.</summary>
    public string? ResultJson { get; }

    /// <summary>The refusal, when the provider refused.</summary>
    public CommandError? Refusal { get; }

    /// <summary>Whether the provider accepted the command.</summary>
    public bool Succeeded => Refusal is null;

    /// <summary>The command succeeded; <paramref name="resultJson"/> (a JSON value) is stored as its result.</summary>
    public static CommandResult Accepted(string resultJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(resultJson);
        return new(resultJson, null);
    }

    /// <summary>The command succeeded; <paramref name="result"/> is stored as its result (camelCase JSON).</summary>
    public static CommandResult Accepted<TResult>(TResult result) =>
        new(System.Text.Json.JsonSerializer.Serialize(result, Providers.ProviderHttp.Json), null);

    /// <summary>The provider refused the command (a business refusal): it fails with <paramref name="refusal"/> and is not retried.</summary>
    public static CommandResult Refused(CommandError refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return new(null, refusal);
    }
}

/// <summary>
/// The error stored with a command and shown by the status API. Both parts are safe to show to the
/// tenant: a stable code and a short message, never provider internals or exception text.
/// </summary>
/// <param name="Code">A stable, machine-readable code, for example <c>payment_declined</c>.</param>
/// <param name="Message">A short message for people.</param>
public sealed record CommandError(string Code, string Message)
{
    private const int MaxMessageLength = 200;
    private const int MaxCodeLength = 64;

    /// <summary>
    /// Builds an error from text a provider sent: control characters are dropped and both parts are
    /// cut short; a code that is not a plain identifier is replaced by <paramref name="fallbackCode"/>.
    /// </summary>
    public static CommandError FromProvider(string? code, string? message, string fallbackCode, string fallbackMessage)
    {
        var safeCode = SafeCode(code, fallbackCode);
        var safeMessage = Clean(message);
        return new CommandError(safeCode, string.IsNullOrEmpty(safeMessage) ? fallbackMessage : safeMessage);
    }

    /// <summary>The code if it is a plain identifier (letters, digits, <c>_-.</c>, at most 64), otherwise the fallback.</summary>
    public static string SafeCode(string? code, string fallback) =>
        !string.IsNullOrEmpty(code) && code.Length <= MaxCodeLength && code.All(IsCodeCharacter) ? code : fallback;

    private static bool IsCodeCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';

    private static string Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "";
        }

        var cleaned = new string(text.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return cleaned.Length <= MaxMessageLength ? cleaned : cleaned[..MaxMessageLength];
    }
}
