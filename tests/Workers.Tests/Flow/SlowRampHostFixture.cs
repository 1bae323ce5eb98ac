using Messaging.Workers.Tests.Execution;

namespace Messaging.Workers.Tests.Flow;

/// <summary>A Workers host whose endpoints ramp up slowly, so a test can hold the endpoint at one message at a time.</summary>
public sealed class SlowRampHostFixture : WorkersHostFixture
{
    protected override void Configure(IDictionary<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration["Commands:Types:payments.charge:Flow:RampStepInterval"] = "00:05:00";
    }
}
