namespace Messaging.CommandTypes;

/// <summary>
/// The error stored with a command and shown by the status API. Both parts are safe to show to the
/// tenant: a stable code and a short message, never provider internals or exception text.
/// </summary>
/// <param name="Code">A stable, machine-readable code, for example <c>payment_declined</c>.</param>
/// <param name="Message">A short message for people.</param>
public sealed record CommandStatusError(string Code, string Message)
{
    private const int MaxMessageLength = 200;
    private const int MaxCodeLength = 64;

    /// <summary>
    /// Builds an error from text a provider sent: control characters are dropped and both parts are
    /// cut short; a code that is not a plain identifier is replaced by <paramref name="fallbackCode"/>.
    /// </summary>
    public static CommandStatusError FromProvider(string? code, string? message, string fallbackCode, string fallbackMessage)
    {
        var safeCode = SafeCode(code, fallbackCode);
        var safeMessage = Clean(message);
        return new CommandStatusError(safeCode, string.IsNullOrEmpty(safeMessage) ? fallbackMessage : safeMessage);
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
