using System.Net.Http.Headers;
using System.Text.Json;
using Messaging.CommandTypes.Providers;
using Messaging.Contracts.Http;

namespace Messaging.CommandTypes.Http;

/// <summary>
/// Executes every type declared in configuration: sends the stored body to <c>{endpoint}{path}</c> with the
/// declared method, <c>Content-Type: application/json</c> and <c>Idempotency-Key: &lt;command id&gt;</c>, through
/// the provider's pipelines, failover and auth. 2xx: <c>Succeeded</c> with the response's JSON body as the result
/// (up to <see cref="MaxResultBytes"/>; a larger or non-JSON body gives <c>{"status": code}</c>). 408, 425, 429,
/// 5xx, timeouts and connection failures: transient. Any other 4xx: <c>Failed</c>, <c>provider_rejected</c>. A
/// redirect is not followed and dead-letters the command.
/// </summary>
internal sealed class HttpCommandHandler(HttpCommandDeclarations declarations) : ICommandHandler<HttpCommand>
{
    /// <summary>The largest response body kept as the result.</summary>
    public const int MaxResultBytes = 16 * 1024;

    /// <summary>The error code of a command the provider answered with a 4xx that no retry changes.</summary>
    public const string RejectedCode = "provider_rejected";

    private const int TooEarly = 425;

    public async Task<CommandResult> HandleAsync(HttpCommand command, CommandContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        var declaration = declarations.Get(context.CommandType);
        var path = declaration.PathFor(command.Body, out var badField)
            ?? throw new ProviderException(context.Provider, $"the body's '{badField}' cannot be part of the path", isTransient: false);

        using var request = new HttpRequestMessage(declaration.Method, path.TrimStart('/'))
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(command.Body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };

        using var response = await context.SendAsync(request).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return CommandResult.Accepted(await ResultOfAsync(response, context.CancellationToken).ConfigureAwait(false));
        }

        if (status == TooEarly)
        {
            // Transient for these types (the request may be sent again as it is), unlike for the built-in providers.
            throw new ProviderException(context.Provider, $"unexpected status {status}", isTransient: true, response.StatusCode,
                retryAfter: Resilience.Classification.TransientFailures.RetryAfter(response));
        }

        if (status is >= 400 and < 500 && !ProviderHttp.IsTransient(response.StatusCode))
        {
            return CommandResult.Refused(new CommandStatusError(RejectedCode, $"The {context.Provider} provider rejected the command with status {status}."));
        }

        throw ProviderHttp.Unexpected(context.Provider, response); // 408, 429, 5xx: transient; 3xx: not
    }

    /// <inheritdoc />
    public string? Check(HttpCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Body.ValueKind == JsonValueKind.Object ? null : "The body is not a JSON object.";
    }

    // The response's JSON body when it is one and small enough; otherwise its status. The body is in memory already:
    // ProviderHttp.SendAsync reads it whole before it returns.
    private static async Task<string> ResultOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (body.Length is 0 or > MaxResultBytes)
        {
            return $$"""{"status":{{(int)response.StatusCode}}}""";
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.GetRawText();
        }
        catch (JsonException)
        {
            return $$"""{"status":{{(int)response.StatusCode}}}""";
        }
    }
}
