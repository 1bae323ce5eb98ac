namespace Messaging.Store.DeadLetters;

/// <summary>One stored dead letter whole: what the list shows, and the body and transport headers as received.</summary>
/// <param name="Letter">Its fields as the list shows them.</param>
/// <param name="Body">The body exactly as received (base64 when it was not text: header <c>Messaging-Body-Encoding</c>).</param>
/// <param name="Headers">Every transport header as received, signatures included: filter them before showing them.</param>
public sealed record DeadLetterDetail(DeadLetterView Letter, string Body, IReadOnlyDictionary<string, string> Headers);
