namespace Messaging.Workers.ExternalServices;

/// <summary>
/// The business answer of a provider: a result to store, or a refusal (the command fails and is not
/// retried). Failures without a business answer are <see cref="ProviderException"/>s instead.
/// </summary>
internal sealed class ProviderOutcome
{
    private ProviderOutcome(string? resultJson, CommandError? refusal)
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

    public static ProviderOutcome Accepted(string resultJson) => new(resultJson, null);

    public static ProviderOutcome Refused(CommandError refusal) => new(null, refusal);
}

/// <summary>
/// The error stored with a command and shown by the status API. Both parts are safe to show to the
/// tenant: a stable code and a short message, never provider internals or exception text.
/// </summary>
internal sealed record CommandError(string Code, string Message)
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
