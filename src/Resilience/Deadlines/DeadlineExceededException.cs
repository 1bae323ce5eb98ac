namespace Messaging.Resilience.Deadlines;

/// <summary>Thrown when work is refused because its command's deadline has passed.</summary>
public sealed class DeadlineExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeadlineExceededException()
        : base("The command's deadline has passed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public DeadlineExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public DeadlineExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
