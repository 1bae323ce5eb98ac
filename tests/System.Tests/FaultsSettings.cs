namespace Messaging.System.Tests;

public static class FaultsSettings
{
    public const int MaxAttempts = 3;
}
