using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// The agent desk's live connection. Server-to-client only: conversationAssigned, messageAdded,
/// messageStatusChanged, conversationClosed. Agents act through the REST API.
/// </summary>
[Authorize]
internal sealed class AgentHub : Hub
{
}
