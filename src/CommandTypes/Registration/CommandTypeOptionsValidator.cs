using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Messaging.CommandTypes;

/// <summary>Validates each type's <see cref="CommandTypeOptions"/> on start, naming the key of a bad value.</summary>
internal sealed class CommandTypeOptionsValidator : IValidateOptions<CommandTypeOptions>
{
    public ValidateOptionsResult Validate(string? name, CommandTypeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = $"{CommandTypeOptions.SectionName}:{name}";
        var failures = new List<string>();
        if (options.DefaultTimeout < CommandTypeOptions.MinTimeout || options.DefaultTimeout > CommandTypeOptions.MaxTimeout)
        {
            failures.Add($"{key}:DefaultTimeout must be between 00:00:01 and 1.00:00:00.");
        }

        Check(options.Flow, $"{key}:Flow", failures);
        Check(options.Retry, $"{key}:Retry", failures);
        if (options.Retry.MaxDelay < options.Retry.BaseDelay)
        {
            failures.Add($"{key}:Retry:MaxDelay must not be less than {key}:Retry:BaseDelay.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(object? section, string key, List<string> failures)
    {
        if (section is null)
        {
            failures.Add($"{key} is required.");
            return;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{key}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }
    }
}
