using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Search;

/// <summary>
/// The desk's search across contacts and conversations: names, phones, emails, channel ids, an exact order number,
/// and the text of customers' and agents' messages. A substring match (LIKE, its wildcards taken literally) that scans
/// the messages: no index or trigger on the inbound path, fine for a shop's volumes, and bounded in what it returns.
/// </summary>
internal sealed class SearchQueries(IDbContextFactory<GatewayDbContext> dbFactory, ChannelRegistry channels)
{
    public const int MinLength = 2;
    public const int MaxLength = 100;
    public const int MaxContacts = 20;
    public const int MaxConversations = 30;

    /// <summary>Messages matched at most, newest first, of which the conversations are drawn.</summary>
    private const int MaxMessages = 300;

    private const int SnippetContext = 30;

    /// <summary>Why <paramref name="q"/> cannot be searched for, or null.</summary>
    public static string? Refuse(string? q)
    {
        var trimmed = q?.Trim() ?? "";
        return trimmed.Length < MinLength || trimmed.Length > MaxLength
            ? $"q must be {MinLength} to {MaxLength} characters after trimming spaces (it is {trimmed.Length})"
            : null;
    }

    public async Task<SearchResultDto> SearchAsync(string q, CancellationToken cancellationToken)
    {
        q = q.Trim();
        var pattern = "%" + Escape(q.ToLowerInvariant()) + "%";
        var digits = PhoneDigits(q);
        var digitsPattern = digits is null ? null : "%" + digits + "%";
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        // Contacts: what a channel proved, what the customer typed, and the ids channels know them by.
        var contactRows = await db.Contacts.AsNoTracking()
            .Where(c => c.MergedIntoId == null)
            .Where(c =>
                (c.DisplayName != null && EF.Functions.Like(c.DisplayName.ToLower(), pattern, "\\"))
                || (c.DeclaredName != null && EF.Functions.Like(c.DeclaredName.ToLower(), pattern, "\\"))
                || (c.Email != null && EF.Functions.Like(c.Email.ToLower(), pattern, "\\"))
                || (c.DeclaredEmail != null && EF.Functions.Like(c.DeclaredEmail.ToLower(), pattern, "\\"))
                || (c.Phone != null && EF.Functions.Like(c.Phone, pattern, "\\"))
                || (c.DeclaredPhone != null && EF.Functions.Like(c.DeclaredPhone, pattern, "\\"))
                || (digitsPattern != null && c.Phone != null && EF.Functions.Like(c.Phone, digitsPattern))
                || (digitsPattern != null && c.DeclaredPhone != null
                    && EF.Functions.Like(c.DeclaredPhone.Replace(" ", "").Replace("-", ""), digitsPattern))
                || db.ChannelIdentities.Any(i => i.ContactId == c.Id
                    && (EF.Functions.Like(i.ExternalId.ToLower(), pattern, "\\")
                        || (i.ProfileName != null && EF.Functions.Like(i.ProfileName.ToLower(), pattern, "\\"))
                        || (digitsPattern != null && EF.Functions.Like(i.ExternalId, digitsPattern)))))
            .OrderByDescending(c => c.CreatedAt)
            .Take(MaxContacts)
            .ToListAsync(cancellationToken);

        // An order number, exactly as the shop shows it (#1001) or its id: the buyer, and their conversations.
        var orderContacts = new List<(Guid ContactId, string Order)>();
        var orders = await db.Orders.AsNoTracking()
            .Where(o => o.ExternalOrderId == q || o.SourceOrderId == q || o.ExternalOrderId == "#" + q)
            .Select(o => new { o.ContactId, o.ExternalOrderId })
            .Take(5)
            .ToListAsync(cancellationToken);
        foreach (var order in orders)
        {
            orderContacts.Add((await OwnerAsync(db, order.ContactId, cancellationToken), order.ExternalOrderId));
        }

        var orderContactIds = orderContacts.Select(o => o.ContactId).Distinct().ToList();
        var missing = orderContactIds.Where(id => contactRows.All(c => c.Id != id)).ToList();
        if (missing.Count > 0)
        {
            contactRows.InsertRange(0, await db.Contacts.AsNoTracking().Where(c => missing.Contains(c.Id)).ToListAsync(cancellationToken));
        }

        // Messages of customers and agents (not notes), newest first; each conversation once, with the newest match.
        var matches = await db.Messages.AsNoTracking()
            .Where(m => m.Direction != MessageDirection.Note && EF.Functions.Like(m.Text.ToLower(), pattern, "\\"))
            .OrderByDescending(m => m.CreatedAt)
            .Select(m => new { m.ConversationId, m.Text, m.CreatedAt })
            .Take(MaxMessages)
            .ToListAsync(cancellationToken);
        var snippets = new Dictionary<Guid, string>();
        foreach (var m in matches)
        {
            if (snippets.Count < MaxConversations && !snippets.ContainsKey(m.ConversationId))
            {
                snippets[m.ConversationId] = Snippet(m.Text, q);
            }
        }

        var orderConversationIds = orderContactIds.Count == 0
            ? []
            : await db.Conversations.AsNoTracking().Where(c => orderContactIds.Contains(c.ContactId))
                .OrderByDescending(c => c.CreatedAt).Select(c => c.Id).Take(MaxConversations).ToListAsync(cancellationToken);
        var conversationIds = snippets.Keys.Concat(orderConversationIds).Distinct().ToList();
        var contactIds = contactRows.Select(c => c.Id).ToList();

        // Every conversation shown, with its contact, agent and newest message time, in one read.
        var rows = await db.Conversations.AsNoTracking()
            .Where(c => conversationIds.Contains(c.Id) || contactIds.Contains(c.ContactId))
            .Select(c => new
            {
                Conversation = c,
                c.Contact,
                AgentName = db.Agents.Where(a => a.Id == c.AssignedAgentId).Select(a => a.DisplayName).FirstOrDefault(),
                LastInboundAt = db.InboundHeads.Where(h => h.ConversationId == c.Id).Select(h => (DateTimeOffset?)h.LastMessageAt).FirstOrDefault(),
                LastOtherAt = db.Messages.Where(m => m.ConversationId == c.Id && m.Direction != MessageDirection.In)
                    .OrderByDescending(m => m.CreatedAt).Select(m => (DateTimeOffset?)m.CreatedAt).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        foreach (var row in rows)
        {
            ConversationQueries.WithLastMessage(row.Conversation, ConversationMessages.Latest(row.LastInboundAt, row.LastOtherAt));
        }

        // A contact's newest conversation: what the desk opens for them.
        var newestOf = rows.GroupBy(r => r.Conversation.ContactId)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(r => r.Conversation.LastMessageAt).First().Conversation);
        var orderOf = orderContacts.GroupBy(o => o.ContactId).ToDictionary(g => g.Key, g => g.First().Order);
        var contacts = contactRows.Select(c =>
        {
            var newest = newestOf.GetValueOrDefault(c.Id);
            return new ContactHitDto(
                c.ToDto(), orderOf.TryGetValue(c.Id, out var order) ? "order" : MatchedOn(c, q, digits), order, newest?.Id, newest?.Status.ToApi());
        }).ToList();

        var shown = new HashSet<Guid>(conversationIds);
        var conversations = rows.Where(r => shown.Contains(r.Conversation.Id))
            .OrderByDescending(r => r.Conversation.LastMessageAt)
            .Take(MaxConversations)
            .Select(r =>
            {
                var c = r.Conversation;
                var snippet = snippets.GetValueOrDefault(c.Id);
                return new ConversationHitDto(
                    c.Id, r.Contact!.ToDto(), c.Status.ToApi(), c.LastInstanceId, channels.ChannelTypeOf(c.LastInstanceId), c.Skill,
                    c.AssignedAgentId, r.AgentName, c.LastMessageAt, c.ClosedAt, snippet, snippet is null ? "order" : "message");
            })
            .ToList();
        return new SearchResultDto(q, contacts, conversations);
    }

    /// <summary>The contact that holds <paramref name="contactId"/>'s conversations now (merges move them along the chain).</summary>
    private static async Task<Guid> OwnerAsync(GatewayDbContext db, Guid contactId, CancellationToken cancellationToken)
    {
        var id = contactId;
        for (var hops = 0; hops < 16; hops++)
        {
            var into = await db.Contacts.AsNoTracking().Where(c => c.Id == id).Select(c => c.MergedIntoId).FirstOrDefaultAsync(cancellationToken);
            if (into is null)
            {
                return id;
            }

            id = into.Value;
        }

        return id;
    }

    /// <summary>Escapes LIKE's wildcards (and the escape character), so that "%" and "_" match themselves.</summary>
    internal static string Escape(string value) => value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    /// <summary>The digits of <paramref name="q"/> when it looks like a phone number (digits with + ( ) - . and spaces, five digits or more); else null.</summary>
    internal static string? PhoneDigits(string q)
    {
        var digits = new System.Text.StringBuilder(q.Length);
        foreach (var ch in q)
        {
            if (char.IsAsciiDigit(ch))
            {
                digits.Append(ch);
            }
            else if (ch is not ('+' or ' ' or '-' or '(' or ')' or '.'))
            {
                return null;
            }
        }

        return digits.Length >= 5 ? digits.ToString() : null;
    }

    private static string MatchedOn(Contact c, string q, string? digits)
    {
        bool Has(string? value) => value is not null && value.Contains(q, StringComparison.OrdinalIgnoreCase);
        bool HasDigits(string? value) => value is not null && digits is not null && new string(value.Where(char.IsAsciiDigit).ToArray()).Contains(digits, StringComparison.Ordinal);
        return Has(c.DisplayName) || Has(c.DeclaredName) ? "name"
            : Has(c.Phone) || Has(c.DeclaredPhone) || HasDigits(c.Phone) || HasDigits(c.DeclaredPhone) ? "phone"
            : Has(c.Email) || Has(c.DeclaredEmail) ? "email"
            : "channel";
    }

    /// <summary>The words around the first match, on one line.</summary>
    internal static string Snippet(string text, string q)
    {
        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var at = flat.IndexOf(q, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return flat.Length <= 2 * SnippetContext ? flat : flat[..(2 * SnippetContext)] + "…";
        }

        var start = Math.Max(0, at - SnippetContext);
        var end = Math.Min(flat.Length, at + q.Length + SnippetContext);
        return (start > 0 ? "…" : "") + flat[start..end] + (end < flat.Length ? "…" : "");
    }
}
