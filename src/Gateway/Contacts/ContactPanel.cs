using ChatGateway.Gateway.Conversations;

namespace ChatGateway.Gateway.Contacts;

/// <summary>A label an agent put on a contact (from the contact itself or one merged into it).</summary>
public sealed record ContactLabelDto(string Label, DateTimeOffset CreatedAt);

public sealed record ContactLabelRequest(string? Label);

/// <summary>A group (分组) of the shop's contacts; <c>color</c> is one of <see cref="ContactPanelRules.Colors"/>.</summary>
public sealed record ContactGroupDto(Guid Id, string Name, string? Description, string Color, int Contacts);

public sealed record ContactGroupRequest(string? Name, string? Description, string? Color);

public sealed record ContactGroupsRequest(IReadOnlyList<Guid>? GroupIds);

/// <summary>A note (备注) about the customer: who wrote it and when.</summary>
public sealed record ContactNoteDto(Guid Id, string Text, Guid AgentId, string AgentName, DateTimeOffset CreatedAt);

public sealed record ContactNoteRequest(string? Text);

/// <summary>One of the customer's conversations, for the panel's history: how it ended and what they rated it.</summary>
public sealed record ContactConversationDto(
    Guid Id, string Status, string ChannelInstanceId, string? ChannelType, string Skill, DateTimeOffset CreatedAt, DateTimeOffset? ClosedAt,
    string? AgentName, int? SurveyRating, string? LastMessage, DateTimeOffset LastMessageAt);

/// <summary>What the web visitor was looking at lately, as their widget told with their messages (each the newest of its kind).</summary>
public sealed record LookingAtDto(OriginDto? Page, DateTimeOffset? PageAt, OriginDto? Product, DateTimeOffset? ProductAt, OriginDto? Cart, DateTimeOffset? CartAt);

/// <summary>The limits of labels, groups and notes, and how their text is checked.</summary>
internal static class ContactPanelRules
{
    public const int MaxLabelLength = 32;
    public const int MaxLabels = 20;
    public const int MaxGroupName = 32;
    public const int MaxGroupDescription = 200;
    public const int MaxGroups = 100;
    public const int MaxNoteLength = 2000;

    public static readonly string[] Colors = ["gray", "red", "orange", "yellow", "green", "blue", "purple"];

    /// <summary>The trimmed text, or the reason it is refused (naming <paramref name="field"/>).</summary>
    public static (string? Value, string? Error) Short(string? text, string field, int max)
    {
        var t = text?.Trim();
        if (string.IsNullOrEmpty(t))
        {
            return (null, $"{field} is required (1 to {max} characters)");
        }

        if (t.Length > max)
        {
            return (null, $"{field} is {t.Length} characters; the limit is {max}");
        }

        return t.Any(char.IsControl) ? (null, $"{field} may not hold control characters (line breaks, tabs)") : (t, null);
    }
}
