using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;

using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace ChatGateway.Plugins.Email;

/// <summary>Connects MailKit clients as the settings say, and says in a line why a connection failed (no secrets).</summary>
internal static class MailConnections
{
    public static SecureSocketOptions SocketOptions(MailSecurity security) => security switch
    {
        MailSecurity.None => SecureSocketOptions.None,
        MailSecurity.StartTls => SecureSocketOptions.StartTls,
        _ => SecureSocketOptions.SslOnConnect,
    };

    public static async Task<ImapClient> ConnectImapAsync(ImapOptions options, CancellationToken cancellationToken)
    {
        var client = new ImapClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        Pin(client, options);
        try
        {
            var port = options.PortOrDefault;
            await client.ConnectAsync(options.Host, port, SocketOptions(options.SecurityFor(port)), cancellationToken);
            await client.AuthenticateAsync(options.UserName, options.Password, cancellationToken);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public static async Task<SmtpClient> ConnectSmtpAsync(SmtpOptions options, CancellationToken cancellationToken)
    {
        var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        Pin(client, options);
        try
        {
            var port = options.PortOrDefault;
            await client.ConnectAsync(options.Host, port, SocketOptions(options.SecurityFor(port)), cancellationToken);
            if (!string.IsNullOrWhiteSpace(options.UserName))
            {
                await client.AuthenticateAsync(options.UserName, options.Password, cancellationToken);
            }

            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>With a fingerprint set, also accepts the one certificate it names (a self-signed server's); never any other.</summary>
    private static void Pin(MailService client, MailServerOptions options)
    {
        if (options.NormalisedFingerprint is not { } pinned)
        {
            return;
        }

        client.ServerCertificateValidationCallback = (_, certificate, _, errors) =>
            errors == SslPolicyErrors.None
            || (certificate is not null && string.Equals(Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData())), pinned, StringComparison.Ordinal));
    }

    /// <summary>A short reason for a failed connection or login, fit for readiness and logs.</summary>
    public static string Describe(string protocol, MailServerOptions options, int port, Exception exception) => exception switch
    {
        FolderNotFoundException folder => $"{protocol} folder '{folder.FolderName}' does not exist (check {protocol}:Folders)",
        AuthenticationException => $"{protocol} login to {options.Host}:{port} failed (check {protocol}:UserName and {protocol}:Password)",
        SslHandshakeException => $"{protocol} TLS handshake with {options.Host}:{port} failed (check {protocol}:Security and the server's certificate)",
        SocketException socket => $"{protocol} server {options.Host}:{port} unreachable ({socket.SocketErrorCode})",
        TimeoutException or OperationCanceledException => $"{protocol} server {options.Host}:{port} did not answer in time",
        NotSupportedException => $"{protocol} server {options.Host}:{port} does not offer what {protocol}:Security asks for",
        ProtocolException or IOException => $"{protocol} connection to {options.Host}:{port} broke ({exception.GetType().Name})",
        _ => $"{protocol} server {options.Host}:{port}: {exception.GetType().Name}",
    };
}
