namespace Messaging.CommandTypes;

/// <summary>
/// What a handler returns: a result to store (the command <c>Succeeded</c>), or a refusal (the command
/// <c>Failed</c> and is not retried). A failure without a business answer is thrown instead, as a
/// <see cref="Providers.ProviderException"/>: transient ones are retried, the others dead-lettered.
/// </summary>
public sealed class CommandResult
{
    private CommandResult(string? resultJson, CommandStatusError? refusal)
    {
        ResultJson = resultJson;
        Refusal = refusal;
    }

    /// <summary>The provider's response as stored in <c>commands.result</c> (JSON), when it accepted.</summary>
    public string? ResultJson { get; }

    /// <summary>The refusal, when the provider refused.</summary>
    public CommandStatusError? Refusal { get; }

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
    public static CommandResult Refused(CommandStatusError refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return new(null, refusal);
    }
}
