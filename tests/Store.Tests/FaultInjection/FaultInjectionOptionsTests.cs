using Messaging.Store.FaultInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Store.Tests.FaultInjection;

/// <summary>The crash points of the reliability tests cannot be switched on by production configuration.</summary>
public sealed class FaultInjectionOptionsTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    [InlineData("Staging")]
    public void ACrashPoint_OutsideTheTestingEnvironment_IsRefusedAtStart(string environment)
    {
        using var host = Build(environment, CrashPoints.RelayAfterConfirm);

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<FaultInjectionOptions>>().Value);
        Assert.Contains("Testing environment", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownCrashPoint_IsRefused_NamingTheKnownOnes()
    {
        using var host = Build("Testing", "somewhere-else");

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<FaultInjectionOptions>>().Value);
        Assert.Contains(CrashPoints.WorkerAfterStatusCommit, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutACrashPoint_NothingIsArmed_InAnyEnvironment()
    {
        using var host = Build("Production", crashAt: null);

        var crashPoints = host.Services.GetRequiredService<CrashPoints>();
        Assert.False(crashPoints.Enabled);
        crashPoints.Reached(CrashPoints.RelayAfterConfirm); // returns: this test process is still here
    }

    [Fact]
    public void InTesting_TheConfiguredCrashPointIsArmed()
    {
        using var host = Build("Testing", CrashPoints.WorkerAfterProviderCall, probability: "0");

        var crashPoints = host.Services.GetRequiredService<CrashPoints>();
        Assert.True(crashPoints.Enabled);
        crashPoints.Reached(CrashPoints.WorkerAfterProviderCall); // probability 0: armed, never fires
    }

    private static IHost Build(string environment, string? crashAt, string probability = "0.05")
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment });
        builder.Configuration["FaultInjection:CrashAt"] = crashAt;
        builder.Configuration["FaultInjection:Probability"] = probability;
        builder.AddFaultInjection();
        return builder.Build();
    }
}
