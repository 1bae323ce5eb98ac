namespace Messaging.CommandTypes;

/// <summary>Validation messages keyed by camelCase field (or header) name, as <c>ValidationProblem</c> wants them.</summary>
public sealed class ValidationErrors
{
    // Made on the first error: most requests have none.
    private Dictionary<string, List<string>>? _errors;

    /// <summary>How many fields have at least one message.</summary>
    public int Count => _errors?.Count ?? 0;

    /// <summary>Adds <paramref name="message"/> for <paramref name="field"/> (camelCase, as in the JSON body).</summary>
    public void Add(string field, string message)
    {
        _errors ??= new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    /// <summary>The messages by field, as <c>ValidationProblem</c> wants them.</summary>
    public Dictionary<string, string[]> ToDictionary() =>
        _errors?.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal) ?? new Dictionary<string, string[]>(StringComparer.Ordinal);
}
