// The store has an AgentSession entity (a signed-in desk session); in tests the name means the signed-in agent's client.
global using AgentSession = ChatGateway.Gateway.Tests.Infrastructure.AgentSession;
