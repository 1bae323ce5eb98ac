using System.Reflection;
using System.Runtime.Versioning;

namespace Messaging.Client.Net8.Tests;

public sealed class TargetFrameworkTests
{
    [Fact]
    public void TheClientUnderTest_IsItsNet8Build()
    {
        var attribute = typeof(MessagingClient).Assembly.GetCustomAttribute<TargetFrameworkAttribute>();

        Assert.NotNull(attribute);
        Assert.Equal(".NETCoreApp,Version=v8.0", attribute.FrameworkName);
    }

    [Fact]
    public void TheTests_RunOnARuntimeOfVersion8OrLater()
    {
        // .NET 8 where installed; otherwise the newest runtime, through RollForward=Major.
        Assert.True(Environment.Version.Major >= 8, $"runtime {Environment.Version}");
    }
}
