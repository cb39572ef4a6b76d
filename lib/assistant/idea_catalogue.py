"""The built-in project-idea catalogue: templates per category, combined with interests and complexity."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lib.assistant.intents import CATEGORY_WORDS

COMPLEXITIES = ("beginner", "intermediate", "advanced")
# With no complexity asked for, a batch spreads across levels so the student sees the range.
LEVEL_CYCLE = ("intermediate", "beginner", "advanced")
MAX_TITLE = 200
MAX_STACK = 12


@dataclass(frozen=True)
class Template:
    title: str  # `{domain}` is the interest, title-cased; generic templates also use `{field}`
    summary: str
    stack: tuple[str, ...]


@dataclass(frozen=True)
class Twist:
    suffix: str
    sentence: str
    stack: tuple[str, ...]


@dataclass(frozen=True)
class CategorySpec:
    templates: tuple[Template, ...]
    tiers: dict[str, tuple[str, tuple[str, ...]]]
    twists: tuple[Twist, ...]
    domains: tuple[str, ...]


@dataclass(frozen=True)
class BuiltinIdea:
    title: str
    description: str
    tech_stack: list[str]
    complexity: str


T, W = Template, Twist

CATALOGUE: dict[str, CategorySpec] = {
    "ml": CategorySpec(
        templates=(
            T(
                "{domain} Demand Forecaster",
                "Predict next-week demand in {domain} from historical records, seasonality and calendar "
                "effects, and show which factors drive each forecast.",
                ("Python", "pandas", "LightGBM"),
            ),
            T(
                "{domain} Document Classifier",
                "Sort incoming {domain} documents and messages into categories automatically and route "
                "each one to the right team.",
                ("Python", "Hugging Face Transformers", "FastAPI"),
            ),
            T(
                "{domain} Image Recognition Assistant",
                "Recognise objects and conditions in photos taken in {domain} settings and return a "
                "confidence-scored result a non-expert can act on.",
                ("Python", "PyTorch", "OpenCV"),
            ),
            T(
                "{domain} Anomaly Detector",
                "Spot unusual events in {domain} data (fraud, faults, outliers) and alert a person with the "
                "reasons behind every flag.",
                ("Python", "scikit-learn", "PyOD"),
            ),
            T(
                "{domain} Recommendation Engine",
                "Recommend relevant items, resources or next steps to {domain} users from their history "
                "with collaborative and content-based filtering.",
                ("Python", "LightFM", "PostgreSQL"),
            ),
            T(
                "{domain} Sentiment and Feedback Analyzer",
                "Mine reviews, surveys and social posts about {domain} to surface sentiment trends and "
                "recurring complaints week by week.",
                ("Python", "spaCy", "Streamlit"),
            ),
            T(
                "{domain} Question-Answering Assistant",
                "Answer common {domain} questions from a curated knowledge base with retrieval-augmented "
                "generation that cites its sources.",
                ("Python", "sentence-transformers", "pgvector"),
            ),
            T(
                "{domain} Early-Risk Scoring Model",
                "Score the risk of a bad outcome in {domain} (dropout, default, breakdown) early enough to "
                "intervene, with calibrated probabilities.",
                ("Python", "XGBoost", "SHAP"),
            ),
        ),
        tiers={
            "beginner": (
                "Start from a clean public dataset, train a baseline model and demo it in a simple web page.",
                ("Jupyter", "Streamlit"),
            ),
            "intermediate": (
                "Compare several models with cross-validation, track experiments and serve the best one "
                "behind a REST API.",
                ("MLflow", "FastAPI"),
            ),
            "advanced": (
                "Add explainability, data-drift monitoring and automated retraining, and evaluate "
                "fairness across user groups.",
                ("Docker", "Evidently"),
            ),
        },
        twists=(
            W(
                "on Edge Devices",
                "Quantise the model so it runs offline on a phone or a Raspberry Pi.",
                ("TensorFlow Lite",),
            ),
            W(
                "with Active Learning",
                "Let reviewers label only the examples the model is least sure about.",
                ("Label Studio",),
            ),
            W(
                "with Explainable Predictions",
                "Show a per-prediction explanation a non-expert can read.",
                ("LIME",),
            ),
            W(
                "Using Federated Learning",
                "Train across several sites without moving raw data off them.",
                ("Flower",),
            ),
            W(
                "with Synthetic Data Augmentation",
                "Generate synthetic samples to balance rare classes.",
                ("SDV",),
            ),
        ),
        domains=("Healthcare", "Agriculture", "Education", "Retail", "Finance"),
    ),
    "iot": CategorySpec(
        templates=(
            T(
                "Smart {domain} Monitoring System",
                "Collect temperature, humidity and usage readings from {domain} sites with low-cost sensors "
                "and raise alerts when a reading leaves its safe range.",
                ("ESP32", "MQTT", "InfluxDB"),
            ),
            T(
                "{domain} Asset Tracker",
                "Track the location and condition of valuable {domain} equipment with GPS/BLE tags and a "
                "live map of where everything is.",
                ("ESP32", "BLE", "Node-RED"),
            ),
            T(
                "{domain} Energy Usage Optimizer",
                "Meter the electricity used across {domain} premises, find waste and switch loads off "
                "automatically outside working hours.",
                ("Raspberry Pi", "Smart Plugs", "Home Assistant"),
            ),
            T(
                "{domain} Predictive Maintenance Node",
                "Listen to vibration and current on {domain} machines and predict failures before they "
                "stop the work.",
                ("Arduino", "Accelerometer", "MQTT"),
            ),
            T(
                "{domain} Air and Water Quality Station",
                "Measure air and water quality around {domain} locations and publish an open, "
                "hourly-updated quality index.",
                ("ESP32", "LoRaWAN", "Grafana"),
            ),
            T(
                "{domain} Access and Occupancy Controller",
                "Control entry to {domain} spaces with RFID cards and count occupancy to plan staffing and "
                "cleaning.",
                ("Raspberry Pi", "RFID", "Flask"),
            ),
            T(
                "{domain} Automated Control Loop",
                "Drive valves, pumps or motors for {domain} from live sensor readings, with safe limits and "
                "a manual override from a phone.",
                ("Arduino", "Relay Module", "Blynk"),
            ),
            T(
                "{domain} Safety Alert Wearable",
                "A wearable that detects falls, gas or heat stress for {domain} workers and notifies a "
                "supervisor instantly.",
                ("ESP32", "MPU6050", "Firebase"),
            ),
        ),
        tiers={
            "beginner": (
                "Build one working node on a breadboard and chart its readings on a hosted dashboard.",
                ("ThingSpeak",),
            ),
            "intermediate": (
                "Deploy several nodes over MQTT, store time series and add alert rules with a small web "
                "dashboard.",
                ("Mosquitto", "Grafana"),
            ),
            "advanced": (
                "Add over-the-air updates, device authentication with TLS certificates and on-device "
                "anomaly detection.",
                ("AWS IoT Core", "TinyML"),
            ),
        },
        twists=(
            W(
                "with LoRaWAN Long-Range Links",
                "Cover sites kilometres apart with LoRaWAN instead of Wi-Fi.",
                ("LoRaWAN",),
            ),
            W(
                "Powered by Solar",
                "Run every node on a small solar panel with deep-sleep power budgeting.",
                ("Solar Charger",),
            ),
            W(
                "with a Digital Twin",
                "Mirror each device in a 3D digital twin that replays its history.",
                ("Three.js",),
            ),
            W("with Voice Control", "Let users query and control devices by voice.", ("Alexa Skills Kit",)),
            W(
                "with Edge AI",
                "Run a tiny model on the microcontroller to filter noise before sending data.",
                ("Edge Impulse",),
            ),
        ),
        domains=("Agriculture", "Smart Home", "Healthcare", "Manufacturing", "Campus"),
    ),
    "web": CategorySpec(
        templates=(
            T(
                "{domain} Booking and Scheduling Portal",
                "Let people book {domain} appointments or resources online, with availability, reminders "
                "and a staff calendar.",
                ("React", "Node.js", "PostgreSQL"),
            ),
            T(
                "{domain} Community Marketplace",
                "A marketplace where the {domain} community lists, finds and reviews offers, with search "
                "and messaging.",
                ("Next.js", "PostgreSQL", "Stripe"),
            ),
            T(
                "{domain} Knowledge Base and Forum",
                "A searchable knowledge base and Q&A forum for {domain}, with voting, tags and moderation.",
                ("Django", "PostgreSQL", "HTMX"),
            ),
            T(
                "{domain} Analytics Dashboard",
                "Turn raw {domain} spreadsheets into an interactive dashboard with filters, trends and "
                "exportable reports.",
                ("React", "FastAPI", "Chart.js"),
            ),
            T(
                "{domain} Volunteer and Event Manager",
                "Organise {domain} events and volunteers: sign-ups, shifts, check-in by QR code and "
                "follow-up emails.",
                ("Vue.js", "Laravel", "MySQL"),
            ),
            T(
                "{domain} Learning Platform",
                "Short {domain} courses with quizzes, progress tracking and certificates for learners who "
                "finish.",
                ("Next.js", "Prisma", "PostgreSQL"),
            ),
            T(
                "{domain} Complaint and Ticket Tracker",
                "Citizens or customers report {domain} issues with photos and location; staff triage, "
                "assign and close them publicly.",
                ("Django", "Leaflet", "PostgreSQL"),
            ),
            T(
                "{domain} Inventory and Order System",
                "Keep {domain} stock, suppliers and orders in one place, with low-stock alerts and invoices.",
                ("React", "Express", "MongoDB"),
            ),
        ),
        tiers={
            "beginner": (
                "Ship a responsive server-rendered site with login and CRUD pages, deployed for free.",
                ("Bootstrap", "Vercel"),
            ),
            "intermediate": (
                "Build a REST API with role-based access, pagination and tests, plus a single-page frontend.",
                ("JWT", "Jest"),
            ),
            "advanced": (
                "Add real-time updates, full-text search, background jobs and a CI/CD pipeline with "
                "load tests.",
                ("WebSockets", "Redis", "GitHub Actions"),
            ),
        },
        twists=(
            W("as a Progressive Web App", "Make it installable and usable offline as a PWA.", ("Workbox",)),
            W("with Real-Time Collaboration", "Let several users edit the same record live.", ("Socket.IO",)),
            W("with Multilingual Support", "Serve every page in at least two languages.", ("i18next",)),
            W(
                "with an AI Assistant",
                "Add an assistant that answers questions about the site's data.",
                ("OpenAI API",),
            ),
            W(
                "with Accessibility First Design",
                "Meet WCAG 2.2 AA and test with screen readers.",
                ("axe-core",),
            ),
        ),
        domains=("Healthcare", "Education", "Local Business", "Non-Profit", "Tourism"),
    ),
    "mobile": CategorySpec(
        templates=(
            T(
                "{domain} Companion App",
                "A mobile companion for {domain} that keeps daily tasks, reminders and progress in one "
                "place, even offline.",
                ("Flutter", "Firebase", "SQLite"),
            ),
            T(
                "{domain} Habit and Goal Tracker",
                "Help users build {domain} habits with streaks, goals, nudges and weekly insights.",
                ("React Native", "Expo", "Supabase"),
            ),
            T(
                "{domain} Field Data Collection App",
                "Collect {domain} survey data in the field with photos, GPS and offline sync when the "
                "network returns.",
                ("Kotlin", "Room", "Firebase"),
            ),
            T(
                "{domain} Emergency Help App",
                "One-tap help requests for {domain} situations that share location with trusted contacts "
                "and nearby responders.",
                ("Flutter", "Google Maps SDK", "Firebase Cloud Messaging"),
            ),
            T(
                "{domain} Peer Exchange App",
                "Let people in {domain} lend, swap or sell items to each other nearby, with ratings and "
                "chat.",
                ("React Native", "Node.js", "MongoDB"),
            ),
            T(
                "{domain} AR Guide",
                "Point the camera at {domain} objects or places to see labels, instructions and stories in "
                "augmented reality.",
                ("Unity", "ARCore", "C#"),
            ),
            T(
                "{domain} Expense and Budget Planner",
                "Track {domain} spending by scanning receipts, set budgets and get alerts before they run "
                "out.",
                ("Flutter", "ML Kit", "SQLite"),
            ),
            T(
                "{domain} Appointment Reminder App",
                "Book, reschedule and get reminded of {domain} appointments, with a queue status so nobody "
                "waits in line.",
                ("Kotlin", "Jetpack Compose", "Firebase"),
            ),
        ),
        tiers={
            "beginner": (
                "Build three or four screens with local storage and publish an installable test build.",
                ("Android Studio",),
            ),
            "intermediate": (
                "Add authentication, a cloud backend, push notifications and offline sync.",
                ("Firebase Auth", "REST API"),
            ),
            "advanced": (
                "Add on-device ML, background sync with conflict resolution, analytics and automated UI "
                "tests.",
                ("TensorFlow Lite", "Detox"),
            ),
        },
        twists=(
            W(
                "with Offline-First Sync",
                "Work fully offline and merge changes when back online.",
                ("WatermelonDB",),
            ),
            W("with Wearable Integration", "Read steps, heart rate or taps from a smartwatch.", ("Wear OS",)),
            W("with Voice Input", "Let users fill in every form by speaking.", ("Speech-to-Text API",)),
            W(
                "with Gamification",
                "Reward progress with badges, levels and friendly leaderboards.",
                ("Lottie",),
            ),
            W(
                "for Low-End Phones",
                "Keep the app under 10 MB and fast on 2 GB RAM devices.",
                ("Android Go",),
            ),
        ),
        domains=("Fitness", "Education", "Healthcare", "Personal Finance", "Travel"),
    ),
    "blockchain": CategorySpec(
        templates=(
            T(
                "{domain} Certificate Verification Ledger",
                "Issue {domain} certificates as on-chain records anyone can verify in seconds without "
                "calling the issuer.",
                ("Solidity", "Ethereum", "IPFS"),
            ),
            T(
                "{domain} Supply Chain Provenance Tracker",
                "Record each hand-over of {domain} goods on a ledger so buyers can scan a QR code and see "
                "the full journey.",
                ("Hyperledger Fabric", "Node.js", "QR Codes"),
            ),
            T(
                "{domain} Transparent Donation Platform",
                "Accept {domain} donations into a smart contract that releases funds only when milestones "
                "are verified.",
                ("Solidity", "Hardhat", "React"),
            ),
            T(
                "{domain} Decentralized Voting System",
                "Run {domain} elections with one verified vote per member, tamper-evident tallies and a "
                "public audit trail.",
                ("Solidity", "Polygon", "ethers.js"),
            ),
            T(
                "{domain} Tokenized Rewards Program",
                "Reward {domain} participation with tokens that can be redeemed with partner businesses.",
                ("ERC-20", "Hardhat", "Next.js"),
            ),
            T(
                "{domain} Records Sharing with Consent",
                "Let people share {domain} records with providers through on-chain consent grants they can "
                "revoke at any time.",
                ("Hyperledger Fabric", "IPFS", "React"),
            ),
            T(
                "{domain} Peer-to-Peer Escrow Marketplace",
                "Buy and sell {domain} goods or services with escrow held in a smart contract until both "
                "sides confirm.",
                ("Solidity", "OpenZeppelin", "ethers.js"),
            ),
            T(
                "{domain} Land and Asset Registry",
                "Register ownership and transfers of {domain} assets on a permissioned ledger to prevent "
                "fraudulent double sales.",
                ("Hyperledger Besu", "Node.js", "PostgreSQL"),
            ),
        ),
        tiers={
            "beginner": (
                "Write and test one smart contract on a local chain and call it from a simple web page.",
                ("Remix IDE", "Ganache"),
            ),
            "intermediate": (
                "Deploy to a public testnet, add wallet login and index contract events for a dashboard.",
                ("MetaMask", "The Graph"),
            ),
            "advanced": (
                "Add upgradeable contracts, gas optimisation, a security audit with static analysis and a "
                "layer-2 deployment.",
                ("Slither", "Foundry"),
            ),
        },
        twists=(
            W(
                "with Zero-Knowledge Proofs",
                "Prove eligibility without revealing personal data.",
                ("Circom",),
            ),
            W("on a Layer-2 Network", "Deploy on a rollup to cut fees for everyday use.", ("Optimism",)),
            W("with NFT Credentials", "Represent each record as a non-transferable NFT.", ("ERC-721",)),
            W(
                "with Oracle Price Feeds",
                "Pull real-world data into contracts through an oracle.",
                ("Chainlink",),
            ),
            W(
                "with Gasless Transactions",
                "Sponsor users' gas so they need no crypto to start.",
                ("OpenGSN",),
            ),
        ),
        domains=("Education", "Agriculture", "Healthcare", "Charity", "Real Estate"),
    ),
    "cloud": CategorySpec(
        templates=(
            T(
                "Serverless {domain} Document Processing Pipeline",
                "Upload {domain} documents and have serverless functions extract text, classify and "
                "index them automatically.",
                ("AWS Lambda", "S3", "Textract"),
            ),
            T(
                "{domain} Multi-Tenant SaaS Starter",
                "A multi-tenant SaaS for {domain} organisations with per-tenant data isolation, billing "
                "and usage metering.",
                ("Kubernetes", "PostgreSQL", "Stripe"),
            ),
            T(
                "{domain} Cost and Usage Monitor",
                "Watch the cloud spend of {domain} teams, explain what drives it and recommend savings "
                "automatically.",
                ("Python", "AWS Cost Explorer API", "Grafana"),
            ),
            T(
                "{domain} Disaster Recovery Automation",
                "Back up {domain} systems across regions and rehearse failover with one command, "
                "measuring recovery time.",
                ("Terraform", "AWS Backup", "Bash"),
            ),
            T(
                "{domain} Event-Driven Notification Service",
                "Fan out {domain} events to email, SMS and push with retries, templates and delivery "
                "tracking.",
                ("Google Cloud Pub/Sub", "Cloud Run", "Go"),
            ),
            T(
                "{domain} Media Transcoding Service",
                "Transcode {domain} videos and images on demand into web-friendly formats with a queue "
                "and autoscaling workers.",
                ("FFmpeg", "Kubernetes", "RabbitMQ"),
            ),
            T(
                "{domain} Data Lake on Object Storage",
                "Land raw {domain} data in object storage, catalogue it and query it with SQL without a "
                "database server.",
                ("S3", "AWS Glue", "Athena"),
            ),
            T(
                "{domain} Self-Service Dev Environments",
                "Give {domain} developers one-click, disposable environments from templates, shut down "
                "automatically when idle.",
                ("Terraform", "Docker", "GitHub Actions"),
            ),
        ),
        tiers={
            "beginner": (
                "Deploy on a managed free tier with infrastructure defined in a single template.",
                ("Docker", "Render"),
            ),
            "intermediate": (
                "Define every resource as code, add CI/CD, centralised logs and alarms.",
                ("Terraform", "GitHub Actions", "CloudWatch"),
            ),
            "advanced": (
                "Run on Kubernetes with autoscaling, blue-green deploys, distributed tracing and chaos "
                "tests.",
                ("Helm", "OpenTelemetry", "Argo CD"),
            ),
        },
        twists=(
            W("Across Multiple Clouds", "Keep it portable across two cloud providers.", ("Pulumi",)),
            W(
                "with Zero-Trust Networking",
                "Authenticate every service call, inside the network too.",
                ("Istio",),
            ),
            W(
                "with FinOps Guardrails",
                "Block deployments that would blow the monthly budget.",
                ("Infracost",),
            ),
            W("with GitOps Delivery", "Deploy only by merging to git, reconciled continuously.", ("Flux",)),
            W("at the Edge", "Serve latency-sensitive parts from edge locations.", ("Cloudflare Workers",)),
        ),
        domains=("Healthcare", "Education", "E-commerce", "Media", "Startups"),
    ),
    "security": CategorySpec(
        templates=(
            T(
                "{domain} Phishing Detection Service",
                "Score emails and links aimed at {domain} users for phishing and explain the red flags "
                "to the reader.",
                ("Python", "scikit-learn", "FastAPI"),
            ),
            T(
                "{domain} Network Intrusion Detection System",
                "Watch traffic on a {domain} network, detect scans and attacks, and rank alerts by risk.",
                ("Suricata", "Zeek", "Elasticsearch"),
            ),
            T(
                "{domain} Password and Secrets Auditor",
                "Find weak passwords, leaked keys and exposed secrets across {domain} systems and "
                "repositories.",
                ("Python", "truffleHog", "Have I Been Pwned API"),
            ),
            T(
                "{domain} Vulnerability Scanner Dashboard",
                "Scan {domain} web apps and servers on a schedule and track vulnerabilities until they "
                "are fixed.",
                ("OWASP ZAP", "Nmap", "Django"),
            ),
            T(
                "{domain} Security Awareness Trainer",
                "Teach {domain} staff safe habits with short lessons and simulated phishing campaigns "
                "that measure progress.",
                ("GoPhish", "React", "Node.js"),
            ),
            T(
                "{domain} Encrypted File Sharing Vault",
                "Share {domain} files with end-to-end encryption, expiring links and an access log.",
                ("Go", "libsodium", "React"),
            ),
            T(
                "{domain} Log Analysis and SIEM Lite",
                "Collect {domain} logs in one place, correlate suspicious events and raise incidents.",
                ("Wazuh", "OpenSearch", "Python"),
            ),
            T(
                "{domain} Malware Classification Lab",
                "Classify suspicious {domain} files by static and behavioural features in a safe sandbox.",
                ("Python", "YARA", "Cuckoo Sandbox"),
            ),
        ),
        tiers={
            "beginner": (
                "Build a working tool against a lab environment you control and document each attack it "
                "catches.",
                ("Kali Linux", "VirtualBox"),
            ),
            "intermediate": (
                "Add a dashboard, alert rules, role-based access and a test suite of known attacks.",
                ("Docker", "MITRE ATT&CK"),
            ),
            "advanced": (
                "Add ML-based detection, automated response playbooks and a red-team evaluation report.",
                ("TheHive", "Cortex", "PyTorch"),
            ),
        },
        twists=(
            W(
                "with Machine Learning Detection",
                "Learn normal behaviour and flag deviations.",
                ("scikit-learn",),
            ),
            W(
                "with Automated Incident Response",
                "Contain threats automatically with playbooks.",
                ("Shuffle SOAR",),
            ),
            W(
                "for Small Businesses",
                "Keep setup under an hour for a non-expert admin.",
                ("Docker Compose",),
            ),
            W("with Threat Intelligence Feeds", "Enrich alerts with public threat intelligence.", ("MISP",)),
            W(
                "with Privacy-Preserving Analytics",
                "Analyse logs without exposing personal data.",
                ("Differential Privacy",),
            ),
        ),
        domains=("Campus", "Healthcare", "Banking", "Small Business", "Government"),
    ),
    "data": CategorySpec(
        templates=(
            T(
                "{domain} Insights Dashboard",
                "Clean and combine {domain} datasets into an interactive dashboard that answers the ten "
                "questions managers ask most.",
                ("Python", "pandas", "Power BI"),
            ),
            T(
                "{domain} ETL Pipeline and Warehouse",
                "Extract {domain} data from several sources nightly, model it in a warehouse and test "
                "its quality.",
                ("Apache Airflow", "dbt", "PostgreSQL"),
            ),
            T(
                "{domain} Open Data Explorer",
                "Publish {domain} open data with a map, charts and a download API so anyone can explore it.",
                ("Python", "GeoPandas", "Plotly Dash"),
            ),
            T(
                "{domain} Customer Segmentation Study",
                "Segment {domain} customers or users by behaviour and describe each segment with "
                "actionable recommendations.",
                ("Python", "scikit-learn", "Tableau"),
            ),
            T(
                "{domain} Trend and Seasonality Analyzer",
                "Decompose {domain} time series into trend and seasonality and forecast the next quarter "
                "with confidence intervals.",
                ("Python", "statsmodels", "Prophet"),
            ),
            T(
                "{domain} Real-Time Metrics Stream",
                "Stream {domain} events, compute live metrics in sliding windows and alert on sudden "
                "changes.",
                ("Apache Kafka", "Apache Flink", "Grafana"),
            ),
            T(
                "{domain} Survey Analysis Toolkit",
                "Analyse {domain} survey responses, including free-text answers, and produce a "
                "shareable report automatically.",
                ("R", "tidyverse", "Quarto"),
            ),
            T(
                "{domain} Data Quality Monitor",
                "Profile {domain} tables continuously and catch missing, duplicated or out-of-range data "
                "before reports use it.",
                ("Great Expectations", "Python", "Airflow"),
            ),
        ),
        tiers={
            "beginner": (
                "Work from one public dataset in a notebook and publish clear charts with a short write-up.",
                ("Jupyter", "Matplotlib"),
            ),
            "intermediate": (
                "Automate ingestion, keep data in a database, and publish an interactive dashboard.",
                ("SQL", "Streamlit"),
            ),
            "advanced": (
                "Scale to millions of rows with a distributed engine, add lineage, tests and scheduled "
                "refreshes.",
                ("Apache Spark", "Delta Lake"),
            ),
        },
        twists=(
            W(
                "with Geospatial Analysis",
                "Map every metric to regions and find spatial hotspots.",
                ("PostGIS",),
            ),
            W("with Natural-Language Queries", "Let users ask questions in plain English.", ("LangChain",)),
            W("with Automated Reports", "Email a PDF summary to stakeholders every week.", ("WeasyPrint",)),
            W(
                "with Causal Analysis",
                "Estimate the effect of interventions, not just correlations.",
                ("DoWhy",),
            ),
            W(
                "with Privacy-Safe Sharing",
                "Share aggregates without exposing individual records.",
                ("OpenDP",),
            ),
        ),
        domains=("Retail", "Public Health", "Education", "Transport", "Sports"),
    ),
}

GENERIC = CategorySpec(
    templates=(
        T(
            "{domain} {field} Management Portal",
            "Manage {domain} work in {field}: records, roles, approvals and reports in one place.",
            ("React", "FastAPI", "PostgreSQL"),
        ),
        T(
            "{domain} {field} Monitoring Dashboard",
            "Collect {field} measurements for {domain} and show trends, targets and alerts.",
            ("Python", "PostgreSQL", "Grafana"),
        ),
        T(
            "{domain} {field} Assistant App",
            "A mobile assistant that guides {domain} users through everyday {field} tasks step by step.",
            ("Flutter", "Firebase"),
        ),
        T(
            "{domain} {field} Recommendation Tool",
            "Recommend the right {field} option for each {domain} case from past outcomes.",
            ("Python", "scikit-learn", "Streamlit"),
        ),
        T(
            "{domain} {field} Simulation Lab",
            "Simulate {field} scenarios for {domain} and compare strategies before trying them for real.",
            ("Python", "SimPy", "Plotly"),
        ),
        T(
            "{domain} {field} Knowledge Hub",
            "A searchable hub of {field} guides, FAQs and case studies for {domain}.",
            ("Next.js", "PostgreSQL", "Meilisearch"),
        ),
    ),
    tiers={
        "beginner": ("Keep the scope to one core workflow, done well and deployed.", ("Git",)),
        "intermediate": ("Add authentication, an API, tests and a polished interface.", ("Docker", "pytest")),
        "advanced": (
            "Add analytics, automation, scalability testing and an evaluation with real users.",
            ("Kubernetes", "OpenTelemetry"),
        ),
    },
    twists=(
        W(
            "with AI Assistance",
            "Add an assistant that drafts answers from the project's data.",
            ("OpenAI API",),
        ),
        W("for Rural Communities", "Design for low bandwidth and shared devices.", ("PWA",)),
        W("with Open APIs", "Expose a documented public API others can build on.", ("OpenAPI",)),
        W("with Real-Time Alerts", "Notify the right person the moment something changes.", ("WebSockets",)),
    ),
    domains=("Campus", "Healthcare", "Community", "Small Business"),
)

ALIASES = {
    "ai": "ml",
    "machine-learning": "ml",
    "machine_learning": "ml",
    "deep-learning": "ml",
    "artificial-intelligence": "ml",
    "nlp": "ml",
    "internet-of-things": "iot",
    "embedded": "iot",
    "web-development": "web",
    "webdev": "web",
    "full-stack": "web",
    "fullstack": "web",
    "android": "mobile",
    "ios": "mobile",
    "app": "mobile",
    "apps": "mobile",
    "mobile-app": "mobile",
    "web3": "blockchain",
    "crypto": "blockchain",
    "devops": "cloud",
    "aws": "cloud",
    "serverless": "cloud",
    "cloud-computing": "cloud",
    "cybersecurity": "security",
    "cyber-security": "security",
    "infosec": "security",
    "data-science": "data",
    "data_science": "data",
    "analytics": "data",
    "big-data": "data",
    "data-analytics": "data",
}

# Interests that name a technology go into the stack rather than the title.
_TECHNOLOGIES = (
    "Python|Java|JavaScript|TypeScript|Go|Rust|Kotlin|Swift|Dart|C++|C#|PHP|R|React|Angular|Vue.js|"
    "Next.js|Node.js|Django|Flask|FastAPI|Spring Boot|Laravel|Flutter|React Native|TensorFlow|PyTorch|"
    "Keras|scikit-learn|OpenCV|pandas|Arduino|Raspberry Pi|ESP32|AWS|Azure|GCP|Firebase|Docker|"
    "Kubernetes|Terraform|PostgreSQL|MySQL|MongoDB|Redis|Solidity|Ethereum|Hyperledger Fabric|Power BI|"
    "Tableau|Spark|Kafka|Unity|GraphQL|Tailwind CSS"
)
_TECH_SPELLINGS = {
    "node": "Node.js",
    "nodejs": "Node.js",
    "vue": "Vue.js",
    "nextjs": "Next.js",
    "postgres": "PostgreSQL",
    "golang": "Go",
    "sklearn": "scikit-learn",
    "k8s": "Kubernetes",
    "js": "JavaScript",
    "springboot": "Spring Boot",
    "tailwind": "Tailwind CSS",
}
TECH_NAMES = {name.lower(): name for name in _TECHNOLOGIES.split("|")} | _TECH_SPELLINGS
# Words that are technologies only when they stand alone as an interest, not inside a sentence.
_AMBIGUOUS_IN_TEXT = frozenset({"go", "r", "swift", "unity", "spark", "rust"})
_CATEGORY_PHRASES = {word for words in CATEGORY_WORDS.values() for word in words} | set(CATALOGUE)


def resolve_category(category: str) -> str | None:
    """The catalogue key for a category slug (aliases included), or None for a free-form category."""
    slug = category.strip().lower()
    slug = ALIASES.get(slug, slug)
    return slug if slug in CATALOGUE else None


def _display(text: str) -> str:
    """Title-case a lower-case interest for a title; keep a student's own capitals (`IoT`, `ERP`)."""
    text = " ".join(text.split())
    if text != text.lower():
        return text
    return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))


def split_interests(interests: list[str], spec: CategorySpec) -> tuple[list[str], list[str]]:
    """Interests split into domains (go into titles) and technologies (go into the stack)."""
    domains: list[str] = []
    techs: list[str] = []
    seen: set[str] = set()
    for raw in interests:
        key = " ".join(raw.split()).lower()
        if not key or key in seen:
            continue
        seen.add(key)
        if key in TECH_NAMES:
            techs.append(TECH_NAMES[key])
        elif key not in _CATEGORY_PHRASES:  # "machine learning" in ml says nothing new
            domains.append(_display(raw))
    return domains or list(spec.domains), techs


def _seed(*parts: object) -> int:
    # hashlib, not hash(): the same request gives the same ideas in every process.
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _candidates(
    spec: CategorySpec, domains: list[str], seed: int
) -> Iterator[tuple[Template, str, Twist | None]]:
    """Every (template, domain, twist) combination; consecutive ideas differ in all three."""
    templates, twists = spec.templates, spec.twists
    for round_ in range(len(templates)):
        for index, domain in enumerate(domains):
            yield templates[(seed + round_ + index) % len(templates)], domain, None
    for twist_round in range(len(twists)):
        for round_ in range(len(templates)):
            twist = twists[(seed + twist_round + round_) % len(twists)]
            for index, domain in enumerate(domains):
                yield templates[(seed + round_ + index) % len(templates)], domain, twist


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            result.append(item)
    return result


def _compose(
    spec: CategorySpec,
    template: Template,
    domain: str,
    twist: Twist | None,
    level: str,
    techs: list[str],
    field: str,
) -> BuiltinIdea:
    tier_sentence, tier_stack = spec.tiers[level]
    title = template.title.format(domain=domain, field=field)
    parts = [
        template.summary.format(domain=domain.lower() if domain.istitle() else domain, field=field.lower())
    ]
    if twist is not None:
        title = f"{title} {twist.suffix}"
        parts.append(twist.sentence)
    parts.append(f"{level.capitalize()} scope: {tier_sentence[0].lower()}{tier_sentence[1:]}")
    if techs:
        parts.append(f"Uses your chosen technologies: {', '.join(techs)}.")
    stack = _unique([*techs, *template.stack, *(twist.stack if twist else ()), *tier_stack])[:MAX_STACK]
    return BuiltinIdea(
        title=title[:MAX_TITLE].rstrip(), description=" ".join(parts), tech_stack=stack, complexity=level
    )


def builtin_ideas(
    category: str, interests: list[str], complexity: str | None, count: int, avoid_titles: list[str]
) -> list[BuiltinIdea]:
    """`count` distinct ideas for `category` and `interests`, none titled like `avoid_titles`."""
    key = resolve_category(category)
    spec = CATALOGUE[key] if key else GENERIC
    field = _display(category.replace("-", " ").replace("_", " ")) if key is None else ""
    domains, techs = split_interests(interests, spec)
    seed = _seed(category, sorted(i.lower() for i in interests), complexity)
    taken = {title.casefold() for title in avoid_titles}
    ideas: list[BuiltinIdea] = []
    variant = 1
    while len(ideas) < count:
        for template, domain, twist in _candidates(spec, domains, seed):
            level = complexity or LEVEL_CYCLE[len(ideas) % len(LEVEL_CYCLE)]
            idea = _compose(spec, template, domain, twist, level, techs, field)
            if variant > 1:  # every combination is used up: number the repeats to stay distinct
                idea = BuiltinIdea(
                    f"{idea.title[: MAX_TITLE - 14]} (Variant {variant})",
                    idea.description,
                    idea.tech_stack,
                    idea.complexity,
                )
            if idea.title.casefold() in taken:
                continue
            taken.add(idea.title.casefold())
            ideas.append(idea)
            if len(ideas) == count:
                break
        variant += 1
    return ideas


_SIMPLER = re.compile(r"\b(simpl\w*|easi\w*|beginner|basic|smaller|less\s+complex|reduce\s+scope)\b", re.I)
_HARDER = re.compile(r"\b(harder|advanced|complex\w*|challenging|scal\w*|production|research)\b", re.I)
_REMOVE = r"\b(?:without|remove|drop|no|replace|instead of|not)\s+(?:the\s+|using\s+|any\s+)?"
_REFINED_SUFFIX = re.compile(r"\s*\(Refined(?: \d+)?: [^)]*\)$")


def _refined_level(current: str, instructions: str) -> str:
    for level in COMPLEXITIES:
        if re.search(rf"\b{level}\b", instructions, re.I):
            return level
    index = COMPLEXITIES.index(current) if current in COMPLEXITIES else 1
    if _SIMPLER.search(instructions):
        index = max(0, index - 1)
    elif _HARDER.search(instructions):
        index = min(len(COMPLEXITIES) - 1, index + 1)
    return COMPLEXITIES[index]


def _contains(longer: str, key: str) -> bool:
    return re.search(rf"(?<![\w.#+-]){re.escape(key)}(?![\w#+])", longer) is not None


def _mentioned_techs(text: str) -> list[str]:
    """Technologies named in free text; `react native` does not also count as `react`."""
    lowered = text.lower()
    keys = [key for key in TECH_NAMES if key not in _AMBIGUOUS_IN_TEXT and _contains(lowered, key)]
    keys = [key for key in keys if not any(other != key and _contains(other, key) for other in keys)]
    return _unique([TECH_NAMES[key] for key in keys])


def _is_removed(tech: str, lowered: str) -> bool:
    """Whether the instructions ask to drop `tech` (`without X`, `remove the X`, `instead of X`)."""
    return re.search(rf"{_REMOVE}{re.escape(tech.lower())}(?![\w#+])", lowered) is not None


def _stack_changes(stack: list[str], instructions: str) -> tuple[list[str], list[str], list[str]]:
    """The refined stack, what it adds and what it drops."""
    lowered = " ".join(instructions.lower().split())
    removed = [tech for tech in stack if _is_removed(tech, lowered)]
    existing = {tech.lower() for tech in stack}
    added = [
        tech
        for tech in _mentioned_techs(instructions)
        if tech.lower() not in existing and not _is_removed(tech, lowered)
    ]
    kept = [tech for tech in stack if tech not in removed]
    return _unique([*kept, *added])[:MAX_STACK], added, removed


def _focus(instructions: str) -> str:
    """A short label of what the refinement is about: its first clause, at most 60 characters."""
    first = re.split(r"[.;\n!?]", instructions.strip(), maxsplit=1)[0].strip() or instructions.strip()
    if len(first) > 60:
        first = first[:57].rsplit(" ", 1)[0] + "..."
    return first[:1].upper() + first[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def refine_builtin(
    title: str, description: str, tech_stack: list[str], complexity: str, instructions: str, number: int
) -> BuiltinIdea:
    """A deterministic refinement: the instructions adjust the level, the stack and the focus."""
    stack, added, removed = _stack_changes(tech_stack, instructions)
    level = _refined_level(complexity, instructions)
    label = f" (Refined{f' {number}' if number > 1 else ''}: {_focus(instructions)})"
    base = _REFINED_SUFFIX.sub("", title).strip()
    new_title = f"{base[: MAX_TITLE - len(label)].rstrip()}{label}"[:MAX_TITLE]
    changes = [f"Refinement {number}: {_sentence(instructions[:500])}"]
    if level != complexity:
        changes.append(f"Scope moves from {complexity} to {level}.")
    if added:
        changes.append(f"Adds {', '.join(added)}.")
    if removed:
        changes.append(f"Drops {', '.join(removed)}.")
    return BuiltinIdea(
        title=new_title,
        description=f"{description.strip()}\n\n{' '.join(changes)}",
        tech_stack=stack,
        complexity=level,
    )
