using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

namespace ChatGateway.Testing.MailServers;

/// <summary>A customer's mail program against the test <see cref="MailServers"/>: sends through Postfix, reads a mailbox from Dovecot.</summary>
public static class MailClient
{
    /// <summary>Sends as a mail program does: SMTP to Postfix, envelope from the mail's headers.</summary>
    public static async Task SendAsync(MailServers servers, MimeMessage mail, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient();
        await client.ConnectAsync(servers.Host, servers.SmtpPort, SecureSocketOptions.None, cancellationToken);
        await client.SendAsync(mail, cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
    }

    /// <summary>Signs in to a test mailbox over IMAP (its password is <see cref="MailServers.PasswordOf"/>).</summary>
    public static async Task<ImapClient> LoginAsync(MailServers servers, string user, CancellationToken cancellationToken)
    {
        var client = new ImapClient();
        await client.ConnectAsync(servers.Host, servers.ImapPort, SecureSocketOptions.None, cancellationToken);
        await client.AuthenticateAsync(user, MailServers.PasswordOf(user), cancellationToken);
        return client;
    }

    /// <summary>The mails in a user's INBOX, once there are at least <paramref name="count"/> (or the timeout passed).</summary>
    public static async Task<List<MimeMessage>> ReadInboxAsync(MailServers servers, string user, int count, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            using (var client = await LoginAsync(servers, user, cancellationToken))
            {
                await client.Inbox.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
                if (client.Inbox.Count >= count || DateTime.UtcNow > deadline)
                {
                    var mails = new List<MimeMessage>();
                    foreach (var uid in await client.Inbox.SearchAsync(SearchQuery.All, cancellationToken))
                    {
                        mails.Add(await client.Inbox.GetMessageAsync(uid, cancellationToken));
                    }

                    return mails;
                }
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
