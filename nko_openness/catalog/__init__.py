"""The public catalog: organization, service, project and category pages, sharing, sitemap."""
