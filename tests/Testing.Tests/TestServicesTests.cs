namespace Messaging.Testing.Tests;

/// <summary>How the tests choose between the machine's services and containers (a Docker engine cannot be had here, so the probe is a seam).</summary>
public sealed class TestServicesTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("auto")]
    public void Select_WhenDockerAnswers_UsesContainers(string? forced) =>
        Assert.Equal(TestServicesMode.Containers, TestServices.Select(forced, endpointsGiven: false, () => true));

    [Theory]
    [InlineData(null)]
    [InlineData("auto")]
    public void Select_WhenDockerDoesNotAnswer_UsesTheMachinesServices(string? forced) =>
        Assert.Equal(TestServicesMode.Machine, TestServices.Select(forced, endpointsGiven: false, () => false));

    [Fact]
    public void Select_WhenEndpointsAreGiven_UsesThemWithoutProbing() =>
        Assert.Equal(TestServicesMode.Machine, TestServices.Select(null, endpointsGiven: true, NotProbed));

    [Theory]
    [InlineData("machine")]
    [InlineData(" Machine ")]
    public void Select_WhenForcedToMachine_DoesNotProbe(string forced) =>
        Assert.Equal(TestServicesMode.Machine, TestServices.Select(forced, endpointsGiven: false, NotProbed));

    [Theory]
    [InlineData("containers", false)]
    [InlineData("CONTAINERS", true)]
    public void Select_WhenForcedToContainers_UsesThemEvenWithEndpointsAndWithoutProbing(string forced, bool endpointsGiven) =>
        Assert.Equal(TestServicesMode.Containers, TestServices.Select(forced, endpointsGiven, NotProbed));

    [Fact]
    public void Select_WhenTheValueIsUnknown_FailsNamingTheVariableAndTheValues()
    {
        var error = Assert.Throws<InvalidOperationException>(() => TestServices.Select("docker", endpointsGiven: false, () => true));
        Assert.Contains("MESSAGING_TEST_SERVICES=docker", error.Message, StringComparison.Ordinal);
        Assert.Contains("machine", error.Message, StringComparison.Ordinal);
        Assert.Contains("containers", error.Message, StringComparison.Ordinal);
    }

    private static bool NotProbed() => throw new InvalidOperationException("the Docker probe must not run for this choice");
}
