using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// Conversation history as the gateway grants it: a customer sees only conversations they took part
/// in, and anything else looks like no conversation at all.
/// </summary>
public sealed class InMemoryConversationHistory : IConversationHistory
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ConversationHistory>> _byCustomer = new(StringComparer.Ordinal);

    /// <summary>Records that the customer with this external id took part in the conversation.</summary>
    public void Add(string externalId, ConversationHistory conversation) =>
        _byCustomer.GetOrAdd(externalId, _ => new()).Enqueue(conversation);

    public Task<ConversationHistory?> GetLatestAsync(string externalId, CancellationToken cancellationToken) =>
        Task.FromResult(_byCustomer.TryGetValue(externalId, out var conversations) ? conversations.LastOrDefault() : null);

    public Task<ConversationHistory?> GetAsync(string externalId, Guid conversationId, CancellationToken cancellationToken) =>
        Task.FromResult(_byCustomer.TryGetValue(externalId, out var conversations)
            ? conversations.FirstOrDefault(c => c.ConversationId == conversationId)
            : null);
}
