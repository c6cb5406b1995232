using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class MultiInstanceConstraints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Stores written before the constraints by one writer hold no duplicates; one that does (two processes
            // racing an older version) keeps every row: a later contact with an owned phone or email is merged into
            // the oldest (its identities and conversations move, its row stays with MergedIntoId, as a desk merge).
            foreach (var key in new[] { "Phone", "Email" })
            {
                migrationBuilder.Sql(
                    $"UPDATE \"Contacts\" SET \"MergedIntoId\" = (SELECT o.\"Id\" FROM \"Contacts\" AS o WHERE o.\"{key}\" = \"Contacts\".\"{key}\" " +
                    "AND o.\"MergedIntoId\" IS NULL ORDER BY o.\"CreatedAt\", o.\"Id\" LIMIT 1) " +
                    $"WHERE \"{key}\" IS NOT NULL AND \"MergedIntoId\" IS NULL AND \"Id\" <> (SELECT o.\"Id\" FROM \"Contacts\" AS o " +
                    $"WHERE o.\"{key}\" = \"Contacts\".\"{key}\" AND o.\"MergedIntoId\" IS NULL ORDER BY o.\"CreatedAt\", o.\"Id\" LIMIT 1);");
            }

            foreach (var table in new[] { "ChannelIdentities", "Conversations" })
            {
                migrationBuilder.Sql(
                    $"UPDATE \"{table}\" SET \"ContactId\" = (SELECT c.\"MergedIntoId\" FROM \"Contacts\" AS c WHERE c.\"Id\" = \"{table}\".\"ContactId\") " +
                    $"WHERE \"ContactId\" IN (SELECT \"Id\" FROM \"Contacts\" WHERE \"MergedIntoId\" IS NOT NULL);");
            }

            migrationBuilder.DropIndex(
                name: "IX_Contacts_Email",
                table: "Contacts");

            migrationBuilder.DropIndex(
                name: "IX_Contacts_Phone",
                table: "Contacts");

            migrationBuilder.AddColumn<string>(
                name: "DeliveryOwner",
                table: "Messages",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            // UX_Messages_Inbound is PostgreSQL's only: on SQLite, whose writers run one at a time, the inbound writer
            // keeps one customer message per (instance, provider id) inside its write transaction, and the index cost
            // ingest a random page per message (SqliteInboundStatements says how much).

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Email",
                table: "Contacts",
                column: "Email",
                unique: true,
                filter: "\"Email\" IS NOT NULL AND \"MergedIntoId\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Phone",
                table: "Contacts",
                column: "Phone",
                unique: true,
                filter: "\"Phone\" IS NOT NULL AND \"MergedIntoId\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Contacts_Email",
                table: "Contacts");

            migrationBuilder.DropIndex(
                name: "IX_Contacts_Phone",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "DeliveryOwner",
                table: "Messages");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Email",
                table: "Contacts",
                column: "Email");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Phone",
                table: "Contacts",
                column: "Phone");
        }
    }
}
