using ChatGateway.Gateway.Conversations;

namespace ChatGateway.Gateway.Search;

/// <summary>What <c>GET /api/search?q=</c> found: contacts (at most 20) and conversations (at most 30), newest first.</summary>
public sealed record SearchResultDto(string Query, IReadOnlyList<ContactHitDto> Contacts, IReadOnlyList<ConversationHitDto> Conversations);

/// <summary>
/// A contact found by <paramref name="MatchedOn"/> (<c>name</c>, <c>phone</c>, <c>email</c>, <c>channel</c>: an id a channel
/// knows them by, or <c>order</c>: <paramref name="Order"/>); the desk opens their newest conversation.
/// </summary>
public sealed record ContactHitDto(ContactDto Contact, string MatchedOn, string? Order, Guid? NewestConversationId, string? NewestConversationStatus);

/// <summary>
/// A conversation found by a message's text (<paramref name="Snippet"/>: the words around the match) or as an order's buyer's
/// (<paramref name="MatchedOn"/> <c>order</c>); what the conversation list shows of it, nothing more.
/// </summary>
public sealed record ConversationHitDto(
    Guid Id, ContactDto Contact, string Status, string ChannelInstanceId, string? ChannelType, string Skill,
    Guid? AssignedAgentId, string? AssignedAgentName, DateTimeOffset LastMessageAt, DateTimeOffset? ClosedAt, string? Snippet, string MatchedOn);
