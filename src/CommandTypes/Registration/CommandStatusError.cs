using System.Text.Json;
using Messaging.CommandTypes.Providers;

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

    /// <summary>
    /// Builds an error from text a provider sent: control characters are dropped and both parts are
    /// cut short; a code that is not a plain identifier is replaced by <paramref name="fallbackCode"/>.
    /// </summary>
    public static CommandStatusError FromProvider(string? code, string? message, string fallbackCode, string fallbackMessage)
    {
        var safeCode = ProviderHttp.SafeCode(code, fallbackCode);
        var safeMessage = Clean(message);
        return new CommandStatusError(safeCode, string.IsNullOrEmpty(safeMessage) ? fallbackMessage : safeMessage);
    }


    private static string Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "";
        }

        var cleaned = new string(text.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return cleaned.Length <= MaxMessageLength ? cleaned : cleaned[..MaxMessageLength];
    }

    /// <summary>
    /// Reads a refusal body: <c>{"error": "text"}</c> or <c>{"error": {"code", "message"}}</c>, and
    /// keeps only a safe code and a short message.
    /// </summary>
    public static async Task<CommandStatusError> ReadRefusalAsync(HttpResponseMessage response, string fallbackCode, string fallbackMessage,
        CancellationToken cancellationToken)
    {
        var body = await ProviderHttp.ReadJsonAsync<JsonElement?>(response, cancellationToken).ConfigureAwait(false);
        if (body is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("error", out var error))
        {
            switch (error.ValueKind)
            {
                case JsonValueKind.String:
                    var text = error.GetString();
                    // A short identifier (card_declined) is a code; a sentence is a message.
                    return text is not null && !text.Contains(' ', StringComparison.Ordinal)
                        ? FromProvider(text, fallbackMessage, fallbackCode, fallbackMessage)
                        : FromProvider(null, text, fallbackCode, fallbackMessage);
                case JsonValueKind.Object:
                    return FromProvider(StringProperty(error, "code"), StringProperty(error, "message"), fallbackCode, fallbackMessage);
            }
        }

        return new CommandStatusError(fallbackCode, fallbackMessage);
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
